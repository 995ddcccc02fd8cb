# Session timers (RFC 4028): a session carries an interval and a refresher;
# the refresher sends a re-INVITE or UPDATE before half the interval is
# over, and the other side ends a session whose refresh does not come
# (after the interval minus min(32 s, interval/3)). The PBX negotiates each
# leg on its own: with the caller's phone on one side, with the callee's on
# the other. A Session-Expires below the PBX's Min-SE (90 s by default, the
# RFC's floor) is refused with 422 naming the Min-SE, and the phone asks
# again with it. These scenarios wait the RFC's real times (45 s to a
# refresh, 60 s to an expiry of a 90 s session).
@project-default @rfc4028 @cap-registrar @cap-calls @cap-b2bua
Feature: Session timers
  A call whose phones or PBX refresh the session stays up; a call whose
  refresher stops refreshing is ended by the PBX, which records why.

  @in-process
  Scenario: A call with session timers is refreshed on both legs and stays up
    Given the PBX asks 1002 for a 90 second session timer it refreshes itself
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1001 asks for a 90 second session timer it refreshes by UPDATE
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001's session lasts 90 seconds and is refreshed by 1001
    And 1002's session lasts 90 seconds and is refreshed by the PBX
    And 1001 refreshes the session and the call stays up
    And the PBX refreshes 1002's session and the call stays up
    When 1001 hangs up
    Then the call ends normally

  @in-process @pbx-files
  Scenario: A refresh that never comes ends the call, and the CDR says why
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1001 asks for a 90 second session timer it never refreshes
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001's session lasts 90 seconds and is refreshed by 1001
    And the PBX ends the call when the session expires
    And the PBX records the call as ended by the session timer

  @in-process
  Scenario: A session interval below the PBX's minimum gets 422 and the retry succeeds
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1001 asks for a 60 second session timer it refreshes by re-INVITE
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then the PBX answers 1001's first INVITE with 422 and Min-SE 90
    And 1001's session lasts 90 seconds and is refreshed by 1001
    When 1001 hangs up
    Then the call ends normally
