# Service: call-waiting
# Call waiting (the manual's Call Services; the manual is silent on the
# details, so all of this is project default, as Asterisk and FreeSWITCH
# users expect). Set from the phone with the codes of the manual digest's
# project-default table — *58# on, #58# off — or by configuration
# (services.waiting.default, default on as Asterisk's callwaiting=yes;
# services.waiting.subscribers); the phone's setting beats the
# configuration and is kept in the PBX's store across restarts (pbx
# package's TestWaiting).
#
# A call to a subscriber who is already in a call (a call it makes, one
# ringing it, one it answered) rings its phones as usual when call waiting
# is on: the phone plays the call-waiting tone itself, the PBX does not
# block. With call waiting off the subscriber is busy without ringing: its
# forward on busy takes the call (Diversion reason user-busy), else the
# caller gets 486 with the busy prompt. A phone that answers 486 itself is
# busy whatever the setting.
#
# The order is fixed: a hunt group's own logic first (a member in a call
# with call waiting off, or with DND on, is skipped as busy), then for a
# call to a subscriber unconditional forwarding, then DND, then call
# waiting.
@in-process @cap-registrar @cap-calls @cap-service-call-waiting
Feature: Call waiting
  A second call to a subscriber already in a call rings it when call
  waiting is on, and finds it busy when call waiting is off.

  @project-default
  Scenario: Call waiting on by default: the second call rings
    Given phones 1001 to 1003 are registered
    And 1001 is in a call with 1002
    When 1003 calls 1002
    Then 1002 rings
    When 1003 hangs up
    Then the call fails with 487

  @project-default
  Scenario: Call waiting turned off from the phone: the second call is busy
    Given phones 1001 to 1003 are registered
    When 1002 turns call waiting off
    Then the PBX confirms the code to 1002
    Given 1001 is in a call with 1002
    When 1003 calls 1002
    Then the call fails with 486
    And 1002 does not ring

  @project-default
  Scenario: Call waiting off by configuration, turned on from the phone
    Given 1002 has call waiting off by configuration
    And phones 1001 to 1003 are registered
    When 1002 turns call waiting on
    Then the PBX confirms the code to 1002
    Given 1001 is in a call with 1002
    When 1003 calls 1002
    Then 1002 rings
    When 1003 hangs up
    Then the call fails with 487

  @project-default
  Scenario: Call waiting off does not matter to an idle subscriber
    Given call waiting is off by default
    And phones 1001 to 1002 are registered
    When 1001 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally

  @project-default @cap-service-forwarding @rfc5806
  Scenario: Call waiting off: the forward on busy takes the second call
    Given 1002 has call waiting off by configuration
    And 1002 forwards calls on busy to 1004
    And phones 1001 to 1004 are registered
    And 1001 is in a call with 1002
    When 1003 calls 1002, which is forwarded to 1004
    Then the call reaches 1004 diverted from 1002 with reason user-busy
    When 1003 hangs up
    Then the call fails with 487

  @project-default @cap-service-forwarding
  Scenario: Unconditional forwarding comes before call waiting
    Given 1002 forwards calls unconditionally to 1004
    And phones 1001 to 1004 are registered
    And 1001 is in a call with 1004
    When 1003 calls 1002, which is forwarded to 1004
    Then the call reaches 1004 diverted from 1002 with reason unconditional
    When 1003 hangs up
    Then the call fails with 487

  @project-default @cap-service-hunt @cap-service-dnd
  Scenario: A hunt group skips a member in a call without call waiting and a member on DND
    Given hunt group 2000 rings 1001, 1002, 1003 one after another, each for 5 seconds
    And 1001 has do not disturb on by configuration
    And 1002 has call waiting off by configuration
    And phones 1000 to 1004 are registered
    And 1004 is in a call with 1002
    When 1000 calls hunt group 2000
    Then the hunt group call goes to 1003
    And 1003 rings
    When 1003 answers
    Then the hunt group did not ring 1001
    And the hunt group did not ring 1002
    When 1000 hangs up
    Then the call ends normally

  @project-default
  Scenario: With call waiting switched off for the subscriber its codes are refused
    Given the service "waiting" is switched off for 1002
    And phone 1002 is registered
    When 1002 turns call waiting off
    Then the call fails with 403
