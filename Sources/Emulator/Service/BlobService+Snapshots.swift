/// Snapshot Blob: unique increasing times, metadata semantics, count and rate limits.
extension BlobService {
    func snapshot(_ context: OperationContext) throws(ServiceError) -> ServiceResponse {
        let request = context.request
        let metadata = request.metadata
        let (time, base) = try store.access { (state: inout StoreState) throws(ServiceError) in
            let ticks = state.lastSnapshotTicks
            let result = try state.withBlob(context) { (blob: inout StoredBlob) throws(ServiceError) in
                try Conditions.checkWrite(request, blob.current)
                if blob.current.type == .page && blob.snapshots.count >= snapshotLimit {
                    throw ServiceError(
                        status: 409, code: "SnapshotCountExceeded",
                        message: "The snapshot count against this blob has been exceeded.")
                }
                if let minimum = snapshotMinimumTicks, let last = blob.lastSnapshotTicks, context.ticks - last < minimum
                {
                    throw ServiceError(
                        status: 409, code: "SnapshotOperationRateExceeded",
                        message: "The rate of snapshot blob calls is exceeded.")
                }
                let snapshotTicks = max(context.ticks, ticks + 1)
                var frozen = blob.current
                if !metadata.isEmpty { frozen.metadata = metadata }
                let time = Timestamps.snapshotString(ticks: snapshotTicks)
                blob.snapshots.append(StoredSnapshot(time: time, version: frozen))
                blob.lastSnapshotTicks = snapshotTicks
                return (snapshotTicks, time, blob.current)
            }
            state.lastSnapshotTicks = result.0
            return (result.1, result.2)
        }
        return ServiceResponse(
            status: 201,
            headers: base.validators + [("x-ms-snapshot", time), ("x-ms-request-server-encrypted", "false")])
    }
}
