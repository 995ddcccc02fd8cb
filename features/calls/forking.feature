# The manual is silent on several devices per number; we fork in parallel
# as Asterisk/FreeSWITCH users expect (RFC 3261 §16.7) and cancel the
# losers with Reason: SIP ;cause=200 (RFC 3326).
@project-default @rfc3261 @rfc3326 @cap-registrar @cap-calls @cap-forking
Feature: Several devices for one number
  When a number is registered from several devices, a call rings all of
  them; the first to answer gets the call and the others stop ringing,
  told that the call was answered elsewhere.

  Scenario: Both devices ring and the first to answer wins
    Given phone 1001 is registered
    And phone 1002 is registered on device "desk"
    And phone 1002 is registered on device "mobile"
    When 1001 calls 1002
    Then 1002 rings on device "desk"
    And 1002 rings on device "mobile"
    When 1002 answers on device "desk"
    Then the call to 1002 on device "mobile" is cancelled with "Reason: SIP ;cause=200"
    And 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally
