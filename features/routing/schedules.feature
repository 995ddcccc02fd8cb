# Weighted spread and time-of-day routing (issue 10; config
# routes[].spread weighted with routes[].weights, routes[].schedules).
#
# A weighted route draws the carrier of each call's first attempt at
# random in proportion to the carriers' weights (the draw among the
# carriers that can take the call now), then fails over through the
# others in their configured order, like an ordered route.
#
# A route's schedules are alternatives for certain times (like Asterisk's
# GotoIfTime or FreeSWITCH's time-of-day conditions): days of the week
# and HH:MM-HH:MM ranges of local time in an IANA time zone. At each call
# the first schedule that holds the present time gives the carriers;
# when none does, the route's own carriers take the call. The scenarios
# write their schedules around the wall clock of the run (a window of
# hours around the present, or hours away from it) in a zone far from
# UTC, so they hold on any target without setting the PBX's clock.
#
# The carriers are simulated by wire-level test endpoints; the route
# strips the 9 of the outside line before the number reaches them.
@in-process @host-peers @cap-trunks @project-default
Feature: Weighted and time-of-day routes
  A route may spread its calls over its carriers by weight, and may send
  them to other carriers at certain times of the week.

  Background:
    Given carrier "alpha" is a peer of the PBX
    And carrier "beta" is a peer of the PBX
    And numbers starting with 9 go out through route "out" with that prefix removed

  Scenario: Both carriers of a weighted route take first attempts
    Given the media server is switched off
    And route "out" spreads its calls by weight over
      | carrier | weight |
      | alpha   | 1      |
      | beta    | 1      |
    And phone 1001 is registered
    When 1001 makes 20 calls to the outside number 90123456789, each refused with 486 by the carrier it reaches first
    Then each carrier was reached first by some of those calls

  Scenario: A weighted route fails over from the carrier it drew to the other
    Given route "out" spreads its calls by weight over
      | carrier | weight |
      | alpha   | 3      |
      | beta    | 1      |
    And phone 1001 is registered
    When 1001 dials the outside number 90123456789
    Then one of the carriers receives the call for 0123456789
    When that carrier refuses the call with 503
    Then the other carrier receives the call for 0123456789
    When that carrier refuses the call with 486
    Then the call fails with 486

  Scenario: During its schedule the route's calls go to the schedule's carrier
    Given route "out" tries carrier "alpha" alone
    And route "out" sends calls to carrier "beta" on a schedule in Asia/Kolkata that holds the present time
    And phone 1001 is registered
    When 1001 dials the outside number 90123456789
    Then carrier "beta" receives the call for 0123456789
    When carrier "beta" answers
    Then 1001 is connected to carrier "beta"
    When 1001 hangs up
    Then the call to carrier "beta" ends normally
    And carrier "alpha" receives no call

  Scenario: Outside its schedule the route's own carrier takes the calls
    Given route "out" tries carrier "alpha" alone
    And route "out" sends calls to carrier "beta" on a schedule in America/St_Johns that does not hold the present time
    And phone 1001 is registered
    When 1001 dials the outside number 90123456789
    Then carrier "alpha" receives the call for 0123456789
    When carrier "alpha" refuses the call with 486
    Then the call fails with 486
    And carrier "beta" receives no call
