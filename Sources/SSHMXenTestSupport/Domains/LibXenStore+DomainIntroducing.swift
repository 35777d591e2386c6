import SSHMTestSupport
import SSHMXen

extension LibXenStore: DomainIntroducing {}
