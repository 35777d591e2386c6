/// A valid manifest with one region, to mutate line by line in tests.
package let telemetryManifest = """
    version: 1
    regions:
      - id: telemetry
        owner:
          domain: sensor-vm
          begin: 0x7fe00000
          size: 2MiB
        borrowers:
          - domain: logger-vm
            begin: 0x1000000000
            size: 1MiB

    """
