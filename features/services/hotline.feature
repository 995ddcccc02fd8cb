# Service: hotline
# Hotline (the manual's Call Services; the chapter is unread: codes from
# the manual digest's project-default table, the rest our choices as an
# Asterisk or FreeSWITCH user expects). A subscriber with a hotline who
# lifts the handset is connected to a fixed number: at once (immediate
# hotline) or when they dial nothing for a few seconds (delayed hotline).
#
#   *52*number#          immediate hotline to number
#   *52*number*seconds#  delayed hotline to number after seconds (1-60)
#   #52#                 hotline off
#
# or configured per subscriber (services.hotline.subscribers: number, mode
# immediate|delayed, delay; services.hotline.delay default 5s,
# inter_digit default 5s); the phone's setting beats the configured line.
#
# Our mapping of "off hook" to SIP (project default): a SIP phone has no
# off-hook signal, so its hotline / auto-dial setting dials the off-hook
# number (services.hotline.offhook_number, default "hotline") the moment
# the handset is lifted, as Asterisk users point a phone's hotline at an
# "s"-like extension. The immediate hotline turns that number into the
# hotline number; a number the phone dials itself is dialled as usual
# (unlike the XE's analogue line, a SIP phone can dial only by sending a
# number, so the hotline does not take its calls away). The delayed
# hotline answers the off-hook INVITE in early media — 183 with the PBX's
# SDP, the dial tone — and listens for RFC 4733 digits: nothing within
# the delay calls the hotline number; digits call themselves, on "#" or
# after the inter-digit time. Either way the number is analysed as if
# dialled (feature codes, authority, the vacant prompt; an emergency
# number is always routed) and the call goes on as one call: the INVITE is
# answered by whoever answers. Without the media server there is no dial
# tone: a delayed hotline then calls the hotline at once. Off hook without
# a hotline is a vacant number (404). Timers run on the PBX's clock; the
# scenarios configure delays of a second or two. The store keeps lines set
# from the phone across restarts (the service's sqlstore test).
@in-process @cap-registrar @cap-calls @cap-service-hotline
Feature: Hotline
  A subscriber who lifts the handset is connected to a fixed number, at
  once or when they dial nothing for a while.

  @project-default
  Scenario: An immediate hotline calls the hotline number on going off hook
    Given 1001 has an immediate hotline to 1003
    And phone 1001 is registered
    And phone 1003 is registered
    When 1001 goes off hook, which calls 1003
    Then 1003 rings
    When 1003 answers
    Then 1001 and 1003 hear each other
    When 1001 hangs up
    Then the call ends normally

  @project-default
  Scenario: An immediate hotline leaves numbers the phone dials alone
    Given 1001 has an immediate hotline to 1003
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002
    Then 1002 rings
    When 1001 hangs up
    Then the call fails with 487
    And no call reached 1003

  @project-default @cap-media @cap-early-media
  Scenario: A delayed hotline calls the hotline number when nothing is dialled
    Given 1001 has a delayed hotline to 1003 after 1 second
    And phone 1001 is registered
    And phone 1003 is registered
    When 1001 goes off hook, which calls 1003
    Then 1001 hears the CN dial tone in early media
    And 1003 rings
    When 1003 answers
    Then 1001 and 1003 hear each other
    When 1001 hangs up
    Then the call ends normally

  @project-default @cap-media @cap-early-media
  Scenario Outline: A delayed hotline calls the number dialled in time, <how>
    Given 1001 has a delayed hotline to 1003 after 2 seconds
    And the hotline's inter-digit time is 1 second
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 goes off hook
    Then 1001 hears the CN dial tone in early media
    When 1001 dials 1002 on the dial tone, <how>
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally
    And no call reached 1003

    Examples:
      | how           |
      | ending with # |
      | then pausing  |

  @project-default
  Scenario: Without the media server a delayed hotline calls the hotline at once
    Given the media server is switched off
    And 1001 has a delayed hotline to 1003 after 30 seconds
    And phone 1001 is registered
    And phone 1003 is registered
    When 1001 goes off hook, which calls 1003
    Then 1003 rings
    When 1003 answers
    Then 1001 and 1003 hear each other
    When 1001 hangs up
    Then the call ends normally

  @project-default
  Scenario Outline: A hotline set from the phone (<setting>)
    Given phone 1001 is registered
    And phone 1003 is registered
    When 1001 sets <setting>
    Then the PBX confirms the code to 1001
    When 1001 goes off hook, which calls 1003
    Then 1003 rings
    When 1001 hangs up
    Then the call fails with 487

    Examples:
      | setting                                  |
      | an immediate hotline to 1003             |
      | a delayed hotline to 1003 after 1 second |

  @project-default
  Scenario: A hotline cancelled from the phone beats the configured one
    Given 1001 has an immediate hotline to 1003
    And phone 1001 is registered
    And phone 1003 is registered
    When 1001 cancels the hotline
    Then the PBX confirms the code to 1001
    When 1001 goes off hook
    Then the call fails with 404
    And no call reached 1003

  @project-default
  Scenario: Off hook without a hotline is a vacant number
    Given phone 1001 is registered
    When 1001 goes off hook
    Then the call fails with 404

  @project-default
  Scenario Outline: A malformed hotline code <code> is refused with 484
    Given phone 1001 is registered
    When 1001 dials the hotline code "<code>"
    Then the call fails with 484

    Examples:
      | code         |
      | *52*#        |
      | *52*12a#     |
      | *52*1001#    |
      | *52*1003*0#  |
      | *52*1003*99# |

  @project-default @negative-control
  Scenario: With the hotline switched off its codes are refused and off hook is vacant
    Given 1001 has an immediate hotline to 1003
    And the service "hotline" is switched off for 1001
    And phone 1001 is registered
    And phone 1003 is registered
    When 1001 sets an immediate hotline to 1003
    Then the call fails with 403
    When 1001 goes off hook
    Then the call fails with 404
    And no call reached 1003

  @project-default @cap-prompts @cap-early-media
  Scenario: A hotline to a vacant number hears the vacant prompt, then 404
    Given 1001 has an immediate hotline to a number that is not assigned
    And the PBX plays the US busy tone for 2 seconds to calls to a vacant number
    And phone 1001 is registered
    When 1001 goes off hook
    Then 1001 hears the US busy tone in early media
    And the call fails with 404

  @project-default @cap-prompts @cap-early-media @cap-media
  Scenario: A delayed hotline to a vacant number: dial tone, then the vacant prompt and 404
    Given 1001 has a delayed hotline to a number that is not assigned after 1 second
    And the PBX plays the US busy tone for 2 seconds to calls to a vacant number
    And phone 1001 is registered
    When 1001 goes off hook
    Then 1001 hears the US dial tone in early media
    And 1001 hears the US busy tone in early media
    And the call fails with 404

  @project-default @host-peers @cap-numbering @cap-trunks @cap-service-authority
  Scenario: A hotline to an emergency number bypasses call authority
    Given carrier "pstn" is a peer of the PBX
    And route "out" goes to carrier "pstn"
    And number 112 goes out through route "out" as dialled
    And the number classes, lowest first:
      | class         | prefixes |
      | internal      |          |
      | international | 0        |
    And role "lobby" may call up to internal numbers
    And 1009 has role "lobby"
    And 1009 has an immediate hotline to the emergency number 112
    And phone 1009 is registered
    When 1009 goes off hook
    Then carrier "pstn" receives the call for 112
    When carrier "pstn" answers
    Then 1009 is connected to carrier "pstn"
    When 1009 hangs up
    Then the call to carrier "pstn" ends normally
