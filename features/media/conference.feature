# Service: three-party
# Conference bridge (manual: the Media Server's conference service; rooms
# by number, each party hears everyone but itself). Room numbers, seats and
# tones are our choice where the manual is silent: rooms are configured
# (conferences[]), dialling a room's number joins it, a full room answers
# 486. Everything is observed from the simulated phones: each phone sends
# its own identity (two tones) and checks, by tone detection, that the mix
# it hears holds every other member's identity and not its own.
@project-default @cap-registrar @cap-media @cap-service-conference @in-process
Feature: Conference bridge
  Callers who dial a conference room's number talk together: each hears
  all the others and never itself, whether it speaks µ-law or A-law.

  Scenario: A conference of three: each hears the two others and not itself
    Given conference room 800 is configured
    And phones 1001 to 1003 are registered
    And phone 1002 uses only PCMA
    When phones 1001 to 1003 join conference 800
    Then each member of conference 800 hears every other member and not itself
    When 1003 leaves conference 800
    Then each member of conference 800 hears every other member and not itself
    And 1001 no longer hears 1003 in conference 800
    When everyone leaves conference 800
    Then every call to conference 800 ended normally

  Scenario: A conference of ten: each hears the nine others and not itself
    Given conference room 800 is configured
    And phones 1001 to 1010 are registered
    When phones 1001 to 1010 join conference 800
    Then each member of conference 800 hears every other member and not itself
    When everyone leaves conference 800
    Then every call to conference 800 ended normally

  Scenario: A full room answers busy
    Given conference room 800 seats 2 parties
    And phones 1001 to 1003 are registered
    When phones 1001 to 1002 join conference 800
    And 1003 tries to join conference 800
    Then the call fails with 486
    And each member of conference 800 hears every other member and not itself
    When everyone leaves conference 800
    Then every call to conference 800 ended normally
