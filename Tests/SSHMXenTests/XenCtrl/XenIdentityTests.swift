import SSHMCore
import Testing

@testable import SSHMXen

struct XenIdentityTests {
    @Test func versionJoinsMajorMinorAndExtraversion() {
        #expect(XenIdentity.version(packed: 4 << 16 | 17, extra: ".7") == "4.17.7")
        #expect(XenIdentity.version(packed: 4 << 16 | 19, extra: "-rc") == "4.19-rc")
    }

    @Test func archComesFromTheCapabilitiesString() {
        #expect(
            XenIdentity.arch(capabilities: "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64") == .x86_64)
        #expect(XenIdentity.arch(capabilities: "xen-3.0-aarch64 xen-3.0-armv7l ") == .arm64)
        #expect(XenIdentity.arch(capabilities: "xen-3.0-armv7l") == nil)
    }

    @Test func onlyControlDAmongTheCapabilitiesMeansDom0() {
        #expect(XenIdentity.isControlDomain(procCapabilities: "control_d\n"))
        #expect(!XenIdentity.isControlDomain(procCapabilities: ""))
        #expect(!XenIdentity.isControlDomain(procCapabilities: "control_domain_not\n"))
    }

    @Test func charArrayStopsAtTheFirstNul() {
        let extra: (CChar, CChar, CChar, CChar) = (0x2E, 0x37, 0, 0x39)
        #expect(XenIdentity.string(fromCharArray: extra) == ".7")
    }

    @Test func handleBytesGiveTheCanonicalUUID() {
        let handle:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8
            ) = (0x8c, 0x1f, 0x33, 0x5e, 0x1a, 0x2b, 0x4c, 0x3d, 0x9e, 0x0f, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff)
        #expect(XenIdentity.uuid(handle: handle).rawValue == "8c1f335e-1a2b-4c3d-9e0f-aabbccddeeff")
    }
}
