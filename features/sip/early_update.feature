# The manual is silent on UPDATE; RFC 3311 decides: an UPDATE in the early
# dialog changes the session before the answer, and the PBX relays it to
# the other leg's early dialog (offer and answer through its media seam).
@project-default @rfc3311 @cap-registrar @cap-calls @cap-early-media @cap-100rel
Feature: UPDATE in the early dialog
  A phone whose call rings with early media can update the session before
  the answer; the call then proceeds as usual.

  Scenario: A caller updates the session before the answer
    Given phone 1001 is registered
    And phone 1002 is registered
    And 1001 supports 100rel
    And phone 1002 sends early media while ringing
    When 1001 calls 1002
    Then 1001 receives a reliable 183 and acknowledges it
    And an UPDATE from 1001 before the answer is answered 200
    And 1001 hears 1002 before the call is answered
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1002 hangs up
    Then the call ends normally
