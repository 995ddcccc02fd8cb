# Routes and SIP trunks (issue 10): a number analysis entry of kind route
# sends the call out through a route, an ordered list of peers (carriers,
# other PBXs: config routes[] and peers[]). The PBX tries the peers one
# after another: the next one when a peer does not answer, answers 408 or
# any 5xx; a refusal that is the callee's (486 busy, 404, a 6xx) ends the
# call there, since another carrier would say the same.
#
# A carrier's 503 is never relayed to the phone: to a phone, 503 says
# "this PBX is overloaded". RFC 3261 §16.7 (6): a proxy whose only
# response is a 503 sends 500 upstream; when no peer answered at all the
# caller gets 480 Temporarily Unavailable (project default).
#
# Toll fraud: only subscribers (digest) and trusted peers route out; an
# INVITE without credentials is challenged before number analysis and
# never reaches a carrier.
#
# The carriers are simulated by wire-level test endpoints; the route
# strips the 9 of the outside line before the number reaches them.
@in-process @host-peers @cap-trunks @project-default
Feature: Routes to carriers with failover
  A subscriber dials an outside number; the PBX sends it out through the
  route's carriers in order, skipping to the next when one fails.

  Background:
    Given carrier "alpha" is a peer of the PBX
    And carrier "beta" is a peer of the PBX
    And route "out" tries carrier "alpha", then carrier "beta"
    And numbers starting with 9 go out through route "out" with that prefix removed

  Scenario: The first carrier is unavailable and the call lands on the second
    Given phone 1001 is registered
    When 1001 dials the outside number 90123456789
    Then carrier "alpha" receives the call for 0123456789
    When carrier "alpha" refuses the call with 503
    Then carrier "beta" receives the call for 0123456789
    When carrier "beta" answers
    Then 1001 is connected to carrier "beta"
    When 1001 hangs up
    Then the call to carrier "beta" ends normally

  Scenario: When every carrier is unavailable the caller gets 500, never 503
    Given phone 1001 is registered
    When 1001 dials the outside number 90123456789
    Then carrier "alpha" receives the call for 0123456789
    When carrier "alpha" refuses the call with 503
    Then carrier "beta" receives the call for 0123456789
    When carrier "beta" refuses the call with 503
    Then the call fails with 500

  Scenario: A busy callee behind the first carrier is not tried through the second
    Given phone 1001 is registered
    When 1001 dials the outside number 90123456789
    Then carrier "alpha" receives the call for 0123456789
    When carrier "alpha" refuses the call with 486
    Then the call fails with 486
    And carrier "beta" receives no call

  Scenario: A call without credentials never reaches a carrier
    When an INVITE from 1001 to the outside number 90123456789 arrives without credentials
    Then the PBX answers 407 Proxy Authentication Required
    And the answer carries a digest challenge
    And carrier "alpha" receives no call
    And carrier "beta" receives no call
