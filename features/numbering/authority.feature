# Service: emergency | Call Services ch. 3 | emergency
# Service: restriction | Call Services ch. 4 | guest|inter-group
# Service: authority | Call Services ch. 5
# Outgoing call authority, inter-group call restriction and emergency
# numbers (the manual's Call Services ch. 5, 4 and 3); a barred call is
# intercepted (ch. 1): the caller hears the barred prompt in early media,
# then 403 Forbidden.
#
# Outgoing call authority (manual): subscribers have a type and role (one
# named role here) that may call numbers up to a class; classes such as
# internal, local, national, international. Our reading (project
# default): the classes are ordered lowest first in services.authority;
# a number's class is that of the longest class prefix it starts with,
# matched on the number after the substitution before number analysis
# (the number analysis reads: here "9" + the outside number, since the
# route strips the 9 only after analysis); a call that stays inside the
# PBX (a subscriber, an IVR, a conference) is of the lowest class; a
# number routing out that matches no prefix is of the highest class. A
# subscriber without a role may call every class.
#
# Inter-group restriction (manual): subscribers are in groups; a
# restriction bars the calls of one group to another, in that direction
# only (project default: add the reverse pair to bar both ways).
#
# Emergency numbers (manual: always routable, bypassing call authority):
# services.emergency.numbers (project default 110, 112, 119, 120, 122,
# 911) are seen by no service — not authority, not restriction, not a
# DND-like service, whatever the service switches say. They still need a
# number analysis entry that routes them.
#
# Service switches (manual: srv-switch <service> {on|off} per subscriber
# number, gateway prefix and office-gateway prefix): the subscriber's
# setting beats a prefix's, the longest prefix beats shorter ones, and a
# prefix's beats the service's default (project default).
@in-process @host-peers @cap-registrar @cap-calls @cap-numbering @cap-trunks @cap-service-authority
Feature: Outgoing call authority, inter-group restriction and emergency numbers
  A subscriber may call numbers up to the class of its role; calls
  between restricted groups are barred; emergency numbers always go out.

  Background:
    Given carrier "pstn" is a peer of the PBX
    And route "out" goes to carrier "pstn"
    And numbers starting with 9 go out through route "out" with that prefix removed
    And the number classes, lowest first:
      | class         | prefixes |
      | internal      |          |
      | local         | 9        |
      | national      | 90       |
      | international | 900      |
    And role "staff" may call up to national numbers
    And role "lobby" may call up to internal numbers

  @manual
  Scenario: A call within the caller's class goes out
    Given 1001 has role "staff"
    And phone 1001 is registered
    When 1001 dials the outside number 90123456789
    Then carrier "pstn" receives the call for 0123456789
    When carrier "pstn" refuses the call with 486
    Then the call fails with 486

  @manual @cap-prompts @cap-early-media
  Scenario: A call beyond the caller's class hears the barred prompt, then 403
    Given the PBX plays the US error tone for 2 seconds to calls to a barred number
    And 1001 has role "staff"
    And phone 1001 is registered
    When 1001 dials the outside number 900441234567
    Then 1001 hears the US error tone in early media
    And the call fails with 403
    And carrier "pstn" receives no call

  @manual @cap-prompts @cap-early-media
  Scenario: The lobby phone reaches subscribers but no outside number
    Given 1009 has role "lobby"
    And phone 1009 is registered
    And phone 1002 is registered
    Then 1009 can reach 1002
    When 1009 dials the outside number 9123456
    Then 1009 receives early media
    And the call fails with 403
    And carrier "pstn" receives no call

  @manual
  Scenario: Call authority switched off for one subscriber
    Given 1009 has role "lobby"
    And the service "authority" is switched off for 1009
    And phone 1009 is registered
    When 1009 dials the outside number 900441234567
    Then carrier "pstn" receives the call for 00441234567
    When carrier "pstn" refuses the call with 486
    Then the call fails with 486

  @manual
  Scenario: Call authority switched off for a gateway prefix
    Given 1009 has role "lobby"
    And 1010 has role "lobby"
    And the service "authority" is switched off for the gateway prefix 100
    And phone 1009 is registered
    And phone 1010 is registered
    When 1009 dials the outside number 90123456789
    Then carrier "pstn" receives the call for 0123456789
    When carrier "pstn" refuses the call with 486
    Then the call fails with 486
    When 1010 dials the outside number 90123456789
    Then the call fails with 403

  @manual
  Scenario: A guest may not call the board; the board may call a guest
    Given 1005 is in group "guests"
    And 1001 is in group "board"
    And group "guests" may not call group "board"
    And phone 1001 is registered
    And phone 1005 is registered
    And phone 1002 is registered
    Then a call from 1005 to 1001 fails with 403
    And 1005 can reach 1002
    And 1001 can reach 1005

  @manual
  Scenario: The lobby phone reaches the emergency number
    Given number 112 goes out through route "out" as dialled
    And 1009 has role "lobby"
    And phone 1009 is registered
    When 1009 dials the outside number 112
    Then carrier "pstn" receives the call for 112
    When carrier "pstn" answers
    Then 1009 is connected to carrier "pstn"
    When 1009 hangs up
    Then the call to carrier "pstn" ends normally

  @project-default
  Scenario: An emergency number bypasses inter-group restriction too
    Given number 110 goes out through route "out" as dialled
    And the emergency numbers are 110, 112
    And 1009 is in group "guests"
    And the numbers starting with 1 are in group "everyone"
    And group "guests" may not call group "everyone"
    And phone 1009 is registered
    When 1009 dials the outside number 110
    Then carrier "pstn" receives the call for 110
    When carrier "pstn" refuses the call with 486
    Then the call fails with 486

  @project-default @negative-control
  Scenario: A number that is not an emergency number is barred for the lobby
    Given number 113 goes out through route "out" as dialled
    And 1009 has role "lobby"
    And phone 1009 is registered
    When 1009 dials the outside number 113
    Then the call fails with 403
    And carrier "pstn" receives no call
