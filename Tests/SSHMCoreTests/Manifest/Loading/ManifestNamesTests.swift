import SSHMCore
import Testing

@Suite struct ManifestNamesTests {
    @Test func selectsManifestsInByteOrder() {
        let names = [
            "b.yml", "a.yaml", "B.yaml", "10-x.yaml", "9-x.yaml", ".hidden.yaml", "x.yaml~", "x.yaml.bak", "x.yaml.swp",
            "x.yaml.dpkg-old", "x.dpkg-dist.yaml", "x.yaml.dpkg-new", "x.ucf-dist.yaml", "x.yaml.rpmnew", "notes.txt",
            "yaml", ".", "..", "x.YAML",
        ]
        #expect(ManifestNames.select(names) == ["10-x.yaml", "9-x.yaml", "B.yaml", "a.yaml", "b.yml"])
    }

    @Test func trustsOnlyRootOwnedFilesThatOthersCannotWrite() {
        #expect(FileTrust.check(path: "f", uid: 0, mode: 0o100644, subject: .manifest, required: true).isEmpty)
        #expect(FileTrust.check(path: "f", uid: 0, mode: 0o100600, subject: .manifest, required: true).isEmpty)
        #expect(
            FileTrust.check(path: "/etc/sshm.d/a.yaml", uid: 1000, mode: 0o100664, subject: .manifest, required: true)
                .map(\.description) == [
                    "/etc/sshm.d/a.yaml: error: the manifest is owned by uid 1000, not root, so it is not applied and "
                        + "its regions are frozen; run 'chown root /etc/sshm.d/a.yaml'",
                    "/etc/sshm.d/a.yaml: error: the manifest has mode 0664, writable by group or others, so it is not "
                        + "applied and its regions are frozen; run 'chmod go-w /etc/sshm.d/a.yaml'",
                ])
        #expect(
            FileTrust.check(path: "d", uid: 0, mode: 0o40777, subject: .directory, required: false).map(\.description)
                == [
                    "d: warning: the config directory has mode 0777, writable by group or others, which plan, apply "
                        + "and the daemon refuse; run 'chmod go-w d'"
                ])
    }
}
