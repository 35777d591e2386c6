/// How far one owner–borrower pair's doorbell got (docs/guest-view.md, "Doorbell").
package enum DoorbellState: Hashable, Sendable, CustomStringConvertible {
    case waitingForOwner
    case waitingForBorrower
    case connected
    /// The rendezvous cannot go on as it is; the tool resets the pair's `port` nodes so the guests meet again.
    case broken(String)

    /// `waiting for owner`, `waiting for borrower`, `connected`, `broken: <why>`.
    package var description: String {
        switch self {
        case .waitingForOwner: "waiting for owner"
        case .waitingForBorrower: "waiting for borrower"
        case .connected: "connected"
        case .broken(let why): "broken: \(why)"
        }
    }

    /// `waiting_for_owner`, …, `broken`: for JSON and metrics labels.
    package var key: String {
        switch self {
        case .waitingForOwner: "waiting_for_owner"
        case .waitingForBorrower: "waiting_for_borrower"
        case .connected: "connected"
        case .broken: "broken"
        }
    }

    package var isBroken: Bool {
        if case .broken = self { true } else { false }
    }
}

/// The pure verdict on one pair from what its two `port` nodes say and what the hypervisor says of the owner's port.
package enum DoorbellVerdict {
    /// The owner's port whose status a verdict needs: its published value when that is a port.
    package static func ownerPort(_ ownerValue: String) -> UInt32? {
        if case .port(let port) = DoorbellPort(parsing: ownerValue) { port } else { nil }
    }

    /// - Parameters:
    ///   - ownerValue: the owner's `doorbell/<borrower>/port` (`""` when the node was missing or just created).
    ///   - borrowerValue: the borrower's `doorbell/<owner>/port`.
    ///   - status: `xc_evtchn_status` of the owner's published port, or the errno it failed with (EINVAL: no such
    ///     port); `nil` when it was not asked (only ``ownerPort(_:)``'s port is).
    package static func state(
        owner: DomID, borrower: DomID, ownerValue: String, borrowerValue: String,
        status: EventChannelAnswer?
    ) -> DoorbellState {
        let bound: UInt32?
        switch DoorbellPort(parsing: borrowerValue) {
        case .invalid(let why):
            return .broken("the borrower's port \(DoorbellPort.shown(borrowerValue)) is invalid (\(why))")
        case .empty: bound = nil
        case .port(let port): bound = port
        }
        let published: UInt32
        switch DoorbellPort(parsing: ownerValue) {
        case .invalid(let why):
            return .broken("the owner's port \(DoorbellPort.shown(ownerValue)) is invalid (\(why))")
        case .empty:
            guard let bound else { return .waitingForOwner }
            return .broken("the borrower reports port \(bound) but the owner has published none")
        case .port(let port): published = port
        }
        switch status {
        case nil:
            return .broken("the owner's port \(published) was not checked")
        case .failed(let errno):
            return .broken("the owner's port \(published) cannot be checked: \(errno)")
        case .status(.closed):
            return .broken("the owner's port \(published) is closed")
        case .status(.other(let kind)):
            return .broken("the owner's port \(published) is a \(kind) channel, not one to domain \(borrower)")
        case .status(.unbound(let remote)) where remote != borrower:
            return .broken("the owner's port \(published) is offered to domain \(remote), not \(borrower)")
        case .status(.unbound):
            guard let bound else { return .waitingForBorrower }
            return .broken("the borrower reports port \(bound) but the owner's port \(published) is not bound")
        case .status(.interdomain(let remote, _)) where remote != borrower:
            return .broken("the owner's port \(published) is bound to domain \(remote), not \(borrower)")
        case .status(.interdomain(_, let remotePort)):
            guard let bound else { return .waitingForBorrower }
            return bound == remotePort
                ? .connected
                : .broken(
                    "the borrower reports port \(bound) but the owner's port \(published) is bound to its port \(remotePort)"
                )
        }
    }
}

/// `xc_evtchn_status`'s answer, or the errno it failed with.
package enum EventChannelAnswer: Hashable, Sendable {
    case status(EventChannelStatus)
    case failed(SystemErrno)
}
