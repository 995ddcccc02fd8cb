# The manual is silent on reliable provisional responses; RFC 3262 decides:
# each leg of a call uses 100rel when its own phone supports it, whatever
# the other leg does.
@project-default @rfc3262 @cap-registrar @cap-calls @cap-early-media @cap-100rel
Feature: Reliable provisional responses (100rel, PRACK)
  A phone that requires or supports 100rel gets its early media in a
  reliable 183 and acknowledges it with PRACK; a phone that sends its 183
  reliably gets it acknowledged; a PRACK for nothing the PBX sent is
  refused.

  Scenario: A caller that requires 100rel gets a reliable 183 with early media, then the call
    Given phone 1001 is registered
    And phone 1002 is registered
    And 1001 requires 100rel
    And phone 1002 sends early media while ringing
    When 1001 calls 1002
    Then 1001 receives a reliable 183 and acknowledges it
    And 1001 receives early media
    And 1001 hears 1002 before the call is answered
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1002 hangs up
    Then the call ends normally

  Scenario: A callee that sends its 183 reliably gets it acknowledged
    Given phone 1001 is registered
    And phone 1002 is registered
    And 1002 supports 100rel
    And phone 1002 sends early media while ringing
    When 1001 calls 1002
    Then 1002's reliable 183 is acknowledged
    And 1001 receives early media
    And 1001 hears 1002 before the call is answered
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally

  Scenario: A PRACK naming another provisional response or another request is refused with 481
    Given phone 1001 is registered
    And phone 1002 is registered
    And 1001 supports 100rel
    And phone 1002 sends early media while ringing
    When 1001 calls 1002
    Then 1001 receives a reliable 183 and acknowledges it
    And a PRACK from 1001 naming another RSeq is answered 481
    And a PRACK from 1001 naming another request is answered 481
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1002 hangs up
    Then the call ends normally
