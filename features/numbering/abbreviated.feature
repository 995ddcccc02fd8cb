# Service: abbreviated | Call Services ch. 6
# Abbreviated dialling (the manual's Call Services ch. 6): short codes
# that stand for numbers, system-wide (services.abbreviated.codes) and
# personal, set by each subscriber from the phone. The codes are the
# project default table of the manual digest, in the style of the
# manual's *89*:
#
#   *51*nn*number#   set the personal code nn (2 digits) to number
#   #51*nn#          clear the personal code nn
#   **nn             dial the number the code stands for
#
# Our choices (project default): a feature code is confirmed the way
# Asterisk and FreeSWITCH users know — the PBX answers, plays the
# confirmation tone once and hangs up; with the media server off it is
# refused with 486 and nothing changes (the manual: services that need the
# media server fail, the caller hears busy tone). A code of a service that
# is switched off for the caller is refused with 403. The trailing # may
# arrive raw, escaped (%23) or not at all. A personal code beats a
# system-wide code of the same digits (the subscriber's own choice wins);
# another subscriber still gets the system-wide one. The number a code
# stands for goes through substitution, number analysis and call
# authority like a number dialled in full. A code that stands for nothing
# is a vacant number (404). Personal codes are kept in the PBX's store and
# survive a restart (proven by the pbx package's TestAbbreviatedDialling:
# the in-process harness does not restart a PBX).
@in-process @cap-registrar @cap-calls @cap-numbering @cap-media @cap-service-abbreviated
Feature: Abbreviated dialling
  A subscriber dials a short code instead of a number: system-wide codes
  from the configuration, personal codes set from the phone.

  Background:
    Given the system-wide abbreviated code 01 stands for 1002

  @manual
  Scenario: A system-wide code dials its number
    Given phone 1001 is registered
    And phone 1002 is registered
    When 1001 dials 1002 by abbreviated code 01
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally

  @project-default
  Scenario Outline: A personal code is set from the phone, the code ending with <end>
    Given phone 1001 is registered
    And phone 1003 is registered
    When 1001 sets abbreviated code 05 to 1003, ending the code with <end>
    Then the PBX confirms the code to 1001
    When 1001 dials 1003 by abbreviated code 05
    Then 1003 rings
    When 1003 answers
    Then 1001 and 1003 hear each other
    When 1001 hangs up
    Then the call ends normally

    Examples:
      | end     |
      | #       |
      | %23     |
      | nothing |

  @project-default
  Scenario: A personal code beats the system-wide one, for its owner only
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    And phone 1004 is registered
    When 1001 sets abbreviated code 01 to 1003, ending the code with #
    Then the PBX confirms the code to 1001
    When 1001 dials 1003 by abbreviated code 01
    Then 1003 rings
    When 1001 hangs up
    Then the call fails with 487
    When 1004 dials 1002 by abbreviated code 01
    Then 1002 rings
    When 1004 hangs up
    Then the call fails with 487

  @project-default
  Scenario: A cleared code stands for nothing
    Given phone 1001 is registered
    And phone 1003 is registered
    When 1001 sets abbreviated code 07 to 1003, ending the code with #
    Then the PBX confirms the code to 1001
    When 1001 clears abbreviated code 07
    Then the PBX confirms the code to 1001
    When 1001 dials abbreviated code 07
    Then the call fails with 404

  @project-default
  Scenario: With abbreviated dialling switched off for the subscriber its codes are refused
    Given the service "abbreviated" is switched off for 1001
    And phone 1001 is registered
    When 1001 sets abbreviated code 05 to 1003, ending the code with #
    Then the call fails with 403
    When 1001 dials abbreviated code 01
    Then the call fails with 403

  @project-default
  Scenario: With the media server off a code cannot be confirmed and is refused
    Given the media server is switched off
    And phone 1001 is registered
    When 1001 sets abbreviated code 05 to 1003, ending the code with #
    Then the call fails with 486

  @manual @host-peers @cap-trunks @cap-service-authority
  Scenario: The number behind a code is subject to call authority
    Given carrier "pstn" is a peer of the PBX
    And route "out" goes to carrier "pstn"
    And numbers starting with 9 go out through route "out" with that prefix removed
    And the number classes, lowest first:
      | class         | prefixes |
      | internal      |          |
      | international | 900      |
    And role "lobby" may call up to internal numbers
    And 1009 has role "lobby"
    And the system-wide abbreviated code 09 stands for an outside number 900441234567
    And phone 1009 is registered
    When 1009 dials abbreviated code 09
    Then the call fails with 403
    And carrier "pstn" receives no call
