# The manual is silent on early media; we relay a callee's 183 Session
# Progress with SDP to the caller (RFC 3960 gateway model), as a PBX must
# for announcements played before the answer.
@project-default @rfc3960 @cap-registrar @cap-calls @cap-early-media
Feature: Early media
  A callee that plays audio before answering is heard by the caller
  before the call is answered.

  Scenario: 183 with SDP reaches the caller
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1002 sends early media while ringing
    When 1001 calls 1002
    Then 1001 receives early media
    And 1001 hears 1002 before the call is answered
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1002 hangs up
    Then the call ends normally
