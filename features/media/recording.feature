# Call recording (issue 8: "call recording to WAV, switched per
# subscriber"). The file format, the folder and the recordings table are our
# choice: a mono WAV (8 kHz, 16-bit) of both directions mixed, in
# recording.dir, listed in the PBX's recordings table with the call's ID.
# Checked on the in-process PBX: the WAV is decoded by the PBX's strict
# reader and both parties' identities are found in it by tone detection.
@project-default @cap-registrar @cap-calls @cap-media @cap-service-recording @in-process
Feature: Call recording
  A subscriber whose calls are recorded leaves, for each call, a WAV file
  in which both parties can be heard.

  Scenario: A recorded call leaves a WAV holding both parties
    Given calls of 1001 are recorded
    And phone 1001 is registered
    And phone 1002 is registered
    When 1002 calls 1001
    Then 1001 rings
    When 1001 answers
    Then 1001 and 1002 hear each other
    When 1 second passes
    And 1002 hangs up
    Then the call ends normally
    And the call between 1001 and 1002 was recorded to a WAV holding both their audio

  @negative-control
  Scenario: A call between subscribers who do not record leaves no recording
    Given calls of 1003 are recorded
    And phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally
    And the call between 1001 and 1002 was not recorded
