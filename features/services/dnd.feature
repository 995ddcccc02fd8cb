# Service: dnd
# Service: emergency | Call Services ch. 3 | emergency
# Do not disturb (the manual's Call Services), set from the phone with the
# codes of the manual digest's project-default table — *56# on, #56# off —
# or on by configuration (services.dnd.subscribers); the phone's setting
# beats the configuration.
#
# Our choices (project default), as Asterisk and FreeSWITCH users expect:
# DND counts as busy — a call to a subscriber with DND on does not ring
# it; the subscriber's forward on busy takes the call (Diversion reason
# user-busy), else the caller hears the busy prompt and gets 486.
# Unconditional forwarding comes before DND (a forwarded phone does not
# ring anyway). Calls to a subscriber are never emergency calls, so DND
# applies to all of them; an emergency call FROM a DND subscriber is seen
# by no service (services/emergency). The setting is kept in the PBX's
# store across restarts (pbx package's TestForward).
# Emergency calls and DND (manual ch. 3: an emergency call is always
# routable): a subscriber with DND on still makes emergency calls (DND
# concerns the calls it receives), and an emergency number routed to a
# subscriber (a guard desk, numbering entry per scenario, the number in
# services.emergency.numbers) rings that desk even when it has DND on —
# the emergency call is seen by no service; an ordinary call to the same
# desk gets busy.
@in-process @cap-registrar @cap-calls @cap-service-dnd
Feature: Do not disturb
  A subscriber who does not want to be disturbed is not rung.

  @project-default
  Scenario: DND set from the phone: callers get busy
    Given phone 1001 is registered
    And phone 1002 is registered
    When 1002 turns do not disturb on
    Then the PBX confirms the code to 1002
    When 1001 calls 1002
    Then the call fails with 486
    And 1002 does not ring

  @project-default @cap-prompts
  Scenario: A caller of a DND subscriber hears the busy prompt
    Given the PBX plays the US busy tone for 1 seconds to calls to a busy subscriber
    And 1002 has do not disturb on by configuration
    And phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1001 hears the US busy tone in early media
    And the call fails with 486

  @project-default
  Scenario: DND turned off from the phone beats the configuration
    Given 1002 has do not disturb on by configuration
    And phone 1001 is registered
    And phone 1002 is registered
    When 1002 turns do not disturb off
    Then the PBX confirms the code to 1002
    When 1001 calls 1002
    Then 1002 rings
    When 1001 hangs up
    Then the call fails with 487

  @project-default @cap-service-forwarding @rfc5806
  Scenario: DND counts as busy: the forward on busy takes the call
    Given 1002 has do not disturb on by configuration
    And 1002 forwards calls on busy to 1003
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002, which is forwarded to 1003
    Then the call reaches 1003 diverted from 1002 with reason user-busy
    When 1001 hangs up
    Then the call fails with 487

  @project-default @cap-service-forwarding
  Scenario: Unconditional forwarding comes before DND
    Given 1002 has do not disturb on by configuration
    And 1002 forwards calls unconditionally to 1003
    And phone 1001 is registered
    And phone 1003 is registered
    When 1001 calls 1002, which is forwarded to 1003
    Then the call reaches 1003 diverted from 1002 with reason unconditional
    When 1001 hangs up
    Then the call fails with 487

  @project-default
  Scenario: With DND switched off for the subscriber its codes are refused
    Given the service "dnd" is switched off for 1002
    And phone 1002 is registered
    When 1002 turns do not disturb on
    Then the call fails with 403

  @manual @cap-numbering
  Scenario: A subscriber with DND on still makes an emergency call
    Given the emergency numbers are 112
    And numbers starting with 112, 3 to 3 digits long, reach 1005
    And 1002 has do not disturb on by configuration
    And phone 1002 is registered
    And phone 1005 is registered
    When 1002 dials 112 to reach 1005
    Then 1005 rings
    When 1005 answers
    And 1002 hangs up
    Then the call ends normally

  @manual @cap-numbering
  Scenario: An emergency call rings a desk that has DND on; an ordinary call gets busy
    Given the emergency numbers are 112
    And numbers starting with 112, 3 to 3 digits long, reach 1005
    And 1005 has do not disturb on by configuration
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1005 is registered
    When 1001 calls 1005
    Then the call fails with 486
    And 1005 does not ring
    When 1002 dials 112 to reach 1005
    Then 1005 rings
    When 1005 answers
    And 1005 hangs up
    Then the call ends normally
