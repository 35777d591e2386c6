package enum SSHMTestSupportPlaceholder {}
