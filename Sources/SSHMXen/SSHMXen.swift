package enum SSHMXenPlaceholder {}
