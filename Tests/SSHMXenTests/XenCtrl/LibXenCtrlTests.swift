import CXenCtrl
import Foundation
import Logging
import SSHMCore
import SSHMReconcile
import Testing

@testable import SSHMXen

struct LibXenCtrlTests {
    /// `flags` as Xen 4.17 reported them under QEMU (FINDINGS §5).
    static func info(domid: UInt16, flags: UInt32, emulation: UInt32 = 0) -> xc_domaininfo_t {
        var info = xc_domaininfo_t()
        info.domain = domid
        info.flags = flags
        info.arch_config.emulation_flags = emulation
        info.handle = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, UInt8(truncatingIfNeeded: domid))
        return info
    }

    @Test func runningPVDom0IsPV() throws {
        let dom0 = try #require(LibXenCtrl.domainInfo(Self.info(domid: 0, flags: 0xFFFF_0020)))
        #expect(dom0 == DomainInfo(domid: .dom0, uuid: .zero, kind: .pv))
    }

    @Test func blockedHAPGuestWithoutEmulatedPICIsPVH() throws {
        let guest = try #require(LibXenCtrl.domainInfo(Self.info(domid: 3, flags: 0xFFFF_0112, emulation: 1)))
        #expect(guest.kind == .pvh)
        #expect(guest.isRunning)
        #expect(guest.uuid.rawValue == "00000000-0000-0000-0000-000000000003")
    }

    @Test func guestWithEmulatedPICIsHVM() throws {
        let guest = try #require(LibXenCtrl.domainInfo(Self.info(domid: 4, flags: 0x0112, emulation: 0x3FF)))
        #expect(guest.kind == .hvm)
    }

    @Test func dyingAndShutDownFlagsAreKept() throws {
        let dying = try #require(LibXenCtrl.domainInfo(Self.info(domid: 5, flags: 0x1)))
        let shutdown = try #require(LibXenCtrl.domainInfo(Self.info(domid: 6, flags: 0x4)))
        #expect(dying.isDying && !dying.isRunning)
        #expect(shutdown.isShutdown && !shutdown.isRunning)
    }

    @Test func reservedDomidsAreDropped() {
        #expect(LibXenCtrl.domainInfo(Self.info(domid: 0x7FF2, flags: 0)) == nil)
    }

    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/dev/xen/privcmd"), "this host has no Xen"))
    func openingWithoutXenSaysWhatToCheckInsteadOfPrintingToStderr() {
        do {
            _ = try LibXenCtrl.open(logger: Logger(label: "test"))
            Issue.record("xc_interface_open succeeded on a host without /dev/xen/privcmd")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.description.contains("/dev/xen/privcmd"))
            // The line libxencall would have printed to stderr, captured by our logger instead.
            #expect(error.description.contains("Could not obtain handle on privileged command interface"))
        }
    }
}

struct LibXenCtrlEventChannelTests {
    @Test func everyStatusOfTheUnionBecomesItsCase() {
        let status = LibXenCtrl.eventChannelStatus
        #expect(status(UInt32(EVTCHNSTAT_closed), 0, 0) == .closed)
        #expect(status(UInt32(EVTCHNSTAT_unbound), 7, 0) == .unbound(remote: DomID(unchecked: 7)))
        #expect(
            status(UInt32(EVTCHNSTAT_interdomain), 7, 12) == .interdomain(remote: DomID(unchecked: 7), remotePort: 12))
        #expect(status(UInt32(EVTCHNSTAT_pirq), 0, 0) == .other("pirq"))
        #expect(status(UInt32(EVTCHNSTAT_virq), 0, 0) == .other("virq"))
        #expect(status(UInt32(EVTCHNSTAT_ipi), 0, 0) == .other("ipi"))
        #expect(status(9, 0, 0) == .other("status 9"))
    }

    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/dev/xen/evtchn"), "this host has no Xen"))
    func openingEventChannelsWithoutXenSaysWhatToCheck() {
        do {
            _ = try LibXenEvtchn.open(domain: .dom0, logger: Logger(label: "test"))
            Issue.record("xenevtchn_open succeeded on a host without /dev/xen/evtchn")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.description.contains("modprobe xen-evtchn"), "\(error)")
        }
    }
}
