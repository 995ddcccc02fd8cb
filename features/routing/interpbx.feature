# Two pbxlab instances trunked to each other (issue 10, inter-PBX). The
# scenario's PBX sends numbers of the other PBX's range out through a
# route to it; the other PBX trusts the scenario's PBX by address (and
# only it: its own phones are on another address), analyses the number it
# receives like any other, and rings its subscriber. Back the other way
# the same. Each PBX keeps its own call record. The second PBX runs
# in-process next to the scenario's.
@in-process @host-peers @cap-trunks @project-default
Feature: Calls between two PBXs trunked to each other
  A subscriber of one PBX calls a subscriber of the other by number.

  Background:
    Given a second PBX "west" with subscribers 2000 to 2099, trunked to this one for numbers starting with 2

  Scenario: A subscriber calls a subscriber of the other PBX
    Given phone 1001 is registered
    And phone 2001 is registered on PBX "west"
    When 1001 calls 2001
    Then 2001 sees the call from 1001
    When 2001 answers
    Then 1001 and 2001 hear each other
    When 1001 hangs up
    Then PBX "west" records an answered call from 1001 to 2001

  Scenario: The other PBX's subscriber calls back
    Given phone 1001 is registered
    And phone 2001 is registered on PBX "west"
    When 2001 calls 1001
    Then 1001 sees the call from 2001
    When 1001 answers
    Then 1001 and 2001 hear each other
    When 2001 hangs up
    Then PBX "west" records an answered call from 2001 to 1001

  Scenario: A number the other PBX does not have is vacant there
    Given phone 1001 is registered
    And phone 2001 is registered on PBX "west"
    When 1001 dials the outside number 2999
    Then the call fails with 404
