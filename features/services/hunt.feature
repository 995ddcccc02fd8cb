# Service: hunt
# Hunt groups (services.hunt.groups): a group number rings its members by
# a strategy, each member for its no-answer timer (ring_time):
#
#   sequential    one after another, always from the first member
#   circular      one after another, starting after the member who took
#                 the group's last call (round robin)
#   simultaneous  every member at once (ring all): the first to answer
#                 takes the call, the others are cancelled
#   longest_idle  one after another, the member whose last call ended
#                 longest ago first
#
# Members log in and out from the phone (project default, in the manual
# digest's *NN*...# style): *60*<group># logs in, #60*<group># logs out,
# confirmed by the confirmation tone; <group> is the group's number. The
# login state is kept in the PBX's store.
#
# Our choices where the manual is silent (project default, as Asterisk's
# queues and FreeSWITCH's hunt groups behave): members that are logged
# out, not registered, or the caller itself are not rung; a busy member
# (486) passes the call on at once; a member with several registered
# phones rings on its first one when hunting one after another and on all
# of them when ringing all. When nobody takes the call it overflows to
# the group's overflow number, analysed again like a dialled number;
# without one the caller gets the failure and its prompt: 486 when a
# member was busy, else 480. A group is reached by its own number or by a
# numbering entry of kind group naming it.
@in-process @cap-registrar @cap-calls @cap-media @cap-service-hunt
Feature: Hunt groups
  A group number rings its members, one after another or all at once,
  until one answers; when nobody does the call overflows.

  @project-default
  Scenario: Sequential hunting skips a busy member
    Given hunt group 2000 rings 1001, 1002, 1003 one after another, each for 5 seconds
    And phones 1000 to 1003 are registered
    And phone 1001 is busy
    When 1000 calls hunt group 2000
    Then the hunt group call goes to 1002
    And 1002 rings
    When 1002 answers
    Then 1000 and 1002 hear each other
    And the hunt group rang 1001
    And the hunt group did not ring 1003
    When 1000 hangs up
    Then the call ends normally

  @project-default
  Scenario: Ring all: the first member to answer takes the call
    Given hunt group 2000 rings 1001, 1002, 1003 all at once, each for 10 seconds
    And phones 1000 to 1003 are registered
    When 1000 calls hunt group 2000
    Then 1001, 1002, 1003 ring at once
    And the hunt group call goes to 1003
    When 1003 answers
    Then the other members stop ringing
    And 1000 and 1003 hear each other
    When 1003 hangs up
    Then the call ends normally

  @project-default
  Scenario: Nobody answers: the call overflows
    Given hunt group 2000 rings 1001, 1002 one after another, each for 1 second
    And hunt group 2000 overflows to 1009
    And phones 1000 to 1003 are registered
    And phone 1009 is registered
    When 1000 calls hunt group 2000
    Then the hunt group call goes to 1009
    And 1009 rings
    When 1009 answers
    Then 1000 and 1009 hear each other
    And the hunt group rang 1001
    And the hunt group rang 1002
    When 1000 hangs up
    Then the call ends normally

  @project-default
  Scenario: Every member busy and no overflow: the caller hears busy
    Given hunt group 2000 rings 1001, 1002 one after another, each for 5 seconds
    And phones 1000 to 1003 are registered
    And phone 1001 is busy
    And phone 1002 is busy
    When 1000 calls hunt group 2000
    Then the call fails with 486

  @project-default
  Scenario: A logged-out member is not rung
    Given hunt group 2000 rings 1001, 1002, 1003 one after another, each for 5 seconds
    And phones 1000 to 1003 are registered
    When 1001 logs out of hunt group 2000
    Then the PBX confirms the code to 1001
    When 1000 calls hunt group 2000
    Then the hunt group call goes to 1002
    And 1002 rings
    When 1002 answers
    Then the hunt group did not ring 1001
    And 1000 and 1002 hear each other
    When 1000 hangs up
    Then the call ends normally

  @project-default
  Scenario: A member logs back in and is rung again
    Given hunt group 2000 rings 1001, 1002 one after another, each for 5 seconds
    And phones 1000 to 1003 are registered
    When 1001 logs out of hunt group 2000
    Then the PBX confirms the code to 1001
    When 1001 logs in to hunt group 2000
    Then the PBX confirms the code to 1001
    When 1000 calls hunt group 2000
    Then the hunt group call goes to 1001
    And 1001 rings
    When 1001 answers
    Then 1000 and 1001 hear each other
    When 1000 hangs up
    Then the call ends normally

  @project-default
  Scenario: Only a member may log in
    Given hunt group 2000 rings 1001, 1002 one after another, each for 5 seconds
    And phones 1000 to 1003 are registered
    When 1003 logs in to hunt group 2000
    Then the call fails with 403


  @project-default
  Scenario: A circular group starts after the member who took the last call
    Given hunt group 2000 rings 1001, 1002, 1003 in turn, each for 5 seconds
    And phones 1000 to 1003 are registered
    When 1000 calls hunt group 2000
    Then the hunt group call goes to 1001
    When 1001 answers
    Then 1000 and 1001 hear each other
    When 1000 hangs up
    Then the call ends normally
    When 1000 calls hunt group 2000
    Then the hunt group call goes to 1002
    When 1002 answers
    Then the hunt group did not ring 1001
    And 1000 and 1002 hear each other
    When 1000 hangs up
    Then the call ends normally
