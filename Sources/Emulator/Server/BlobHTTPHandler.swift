import Glibc
import NIOCore
import NIOHTTP1

/// One connection's NIO handler: gathers a request, asks the processor, and answers, resets or stays silent.
final class BlobHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// What one connection may take: time to a complete head, bytes of body.
    struct Limits {
        var headerTimeout: TimeAmount
        var maximumBodyBytes: Int
    }

    private let processor: RequestProcessor
    private let limits: Limits
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    /// Set after a `neverAnswer` fault: the connection ignores everything until it closes.
    private var silenced = false
    /// Closes the connection when the next request head is not complete in time.
    private var headerDeadline: Scheduled<Void>?

    init(processor: RequestProcessor, limits: Limits) {
        self.processor = processor
        self.limits = limits
    }

    func channelActive(context: ChannelHandlerContext) {
        awaitNextHead(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        headerDeadline?.cancel()
    }

    /// Starts the time the next request head has to arrive in.
    private func awaitNextHead(context: ChannelHandlerContext) {
        headerDeadline?.cancel()
        let channel = context.channel
        headerDeadline = context.eventLoop.scheduleTask(in: limits.headerTimeout) { channel.close(promise: nil) }
    }

    /// Nothing arrived for the idle timeout (`IdleStateHandler` before the HTTP decoder): the connection is closed.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !silenced else { return }
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            headerDeadline?.cancel()
            headerDeadline = nil
            if Self.announcesBody(requestHead) {
                let request = ServiceRequest(
                    method: requestHead.method.rawValue, uri: requestHead.uri, headers: requestHead.headers, body: [],
                    clientAddress: context.channel.remoteAddress?.ipAddress)
                if let refusal = processor.refusalBeforeBody(request) {
                    answerAndClose(refusal, head: requestHead, context: context)
                    return
                }
            }
            // Authorized first (a stranger gets 403 whatever it announces), then measured.
            if let announced = requestHead.headers.first(name: "content-length").flatMap(Int.init),
                announced > limits.maximumBodyBytes
            {
                refuseBody(head: requestHead, context: context)
                return
            }
            head = requestHead
            body = nil
            if requestHead.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                let interim = HTTPResponseHead(version: requestHead.version, status: .continue)
                context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
            }
        case .body(var chunk):
            guard let requestHead = head else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > limits.maximumBodyBytes {
                // A chunked body that grew past the limit: answered like an announced one, the rest never kept.
                head = nil
                body = nil
                refuseBody(head: requestHead, context: context)
                return
            }
            if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let requestHead = head else { return }
            head = nil
            let bytes = body.map { Array($0.readableBytesView) } ?? []
            body = nil
            let request = ServiceRequest(
                method: requestHead.method.rawValue, uri: requestHead.uri, headers: requestHead.headers, body: bytes,
                clientAddress: context.channel.remoteAddress?.ipAddress)
            let (outcome, delay, held) = processor.process(request)
            if held {
                let answer = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                processor.faults.hold {
                    answer.eventLoop.execute {
                        let (handler, context) = answer.value
                        handler.carryOut(outcome, head: requestHead, context: context, after: delay)
                    }
                }
            } else {
                carryOut(outcome, head: requestHead, context: context, after: delay)
            }
        }
    }

    /// Answers 413 and closes: the body (announced or arriving) is not read on.
    private func refuseBody(head requestHead: HTTPRequestHead, context: ChannelHandlerContext) {
        let request = ServiceRequest(
            method: requestHead.method.rawValue, uri: requestHead.uri, headers: requestHead.headers, body: [],
            clientAddress: context.channel.remoteAddress?.ipAddress)
        answerAndClose(
            processor.refusalOfOversizedBody(request, limit: limits.maximumBodyBytes), head: requestHead,
            context: context)
    }

    /// Answers before the body and closes the connection: the body is never read.
    private func answerAndClose(_ response: ServiceResponse, head: HTTPRequestHead, context: ChannelHandlerContext) {
        var closing = head
        closing.headers.replaceOrAdd(name: "connection", value: "close")
        silenced = true
        write(response, head: closing, context: context)
    }

    /// Whether a body follows the head (a non-zero Content-Length or chunked transfer).
    private static func announcesBody(_ head: HTTPRequestHead) -> Bool {
        if head.headers[canonicalForm: "transfer-encoding"].contains(where: { $0.lowercased() == "chunked" }) {
            return true
        }
        return head.headers.first(name: "content-length").flatMap(Int.init).map { $0 > 0 } ?? false
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func carryOut(
        _ outcome: RequestProcessor.Outcome, head: HTTPRequestHead, context: ChannelHandlerContext, after delay: Int
    ) {
        guard delay <= 0 else {
            context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(delay))) {
                self.carryOut(outcome, head: head, context: context, after: 0)
            }
            return
        }
        switch outcome {
        case .respond(let response): write(response, head: head, context: context)
        case .neverAnswer: silenced = true
        case .reset:
            let channel = context.channel
            if let provider = channel as? any SocketOptionProvider {
                provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
            } else {
                channel.close(promise: nil)
            }
        }
    }

    private func write(_ response: ServiceResponse, head: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders(response.headers)
        headers.add(name: "Server", value: "vmsnap-emulator")
        if !headers.contains(name: "content-length") {
            headers.add(name: "Content-Length", value: String(response.body.count))
        }
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: response.status)
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
            promise: nil)
        if !response.body.isEmpty && head.method != .HEAD {
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))),
                promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if keepAlive {
            awaitNextHead(context: context)
        } else {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
