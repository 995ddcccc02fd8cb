# Manual, Process Server: SIP per RFC 3261 with INVITE, ACK and BYE (the
# requests the digest lists) to set up and end "IP phone calls" (seed
# excerpt). Audio is proven end to end: each phone sends its own identity
# (two tones) and must detect the other's.
@cap-registrar @cap-calls @rfc3261
Feature: Basic calls
  A registered phone calls another; the callee rings, answers, both hear
  each other, and either side ends the call with BYE.

  Background:
    Given phone 1001 is registered
    And phone 1002 is registered

  @manual
  Scenario: An answered call has two-way audio and the caller hangs up
    When 1001 calls 1002
    Then 1002 rings
    And 1001 hears ringing
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally

  @manual
  Scenario: The callee hangs up
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1002 hangs up
    Then the call ends normally

  # Negative control for the audio check itself (how audio is proven is our
  # choice): a phone that sends no RTP must not be heard, while the other
  # direction still works. More in audio.feature.
  @project-default @negative-control
  Scenario: A muted callee is not heard
    Given phone 1002 is muted
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1002 hears 1001
    But 1001 does not hear 1002
    When 1001 hangs up
    Then the call ends normally
