import Basics
import CVMSnapSystem

extension FileDescriptor {
    /// FIFREEZE of the filesystem this descriptor (of its mount point) is on.
    func freezeFilesystem() throws(SystemError) {
        _ = try retryingOnInterrupt("FIFREEZE") { vmsnap_fifreeze(rawValue) }
    }

    /// FITHAW of the filesystem this descriptor (of its mount point) is on; EINVAL when it was not frozen.
    func thawFilesystem() throws(SystemError) {
        _ = try retryingOnInterrupt("FITHAW") { vmsnap_fithaw(rawValue) }
    }

    /// syncfs(2): the filesystem's dirty data written out (before the freeze, outside its window).
    func syncFilesystem() {
        _ = try? retryingOnInterrupt("syncfs") { vmsnap_syncfs(rawValue) }
    }
}
