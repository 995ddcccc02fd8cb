# Issue 9, "RFC 3263 DNS": a contact that names a host, not an address, is
# located by DNS — NAPTR, then SRV by priority and weight, then A/AAAA — and
# the servers found are tried in order: the next when one times out or
# answers 503 (RFC 3263 §4.3). Here a subscriber's static contact
# (sip:1002@carrier.test) is such a host and the scenario's own DNS server
# (on loopback) lists two simulated devices under it. The timeout case
# (Timer B, 32 s) is proven in virtual time by pbx/vtime_dns_test.go.
@in-process @host-peers @rfc3263 @cap-calls @cap-b2bua
Feature: Calls to a contact located by DNS
  A carrier or another PBX is known by name; when its first server is out of
  service the call still gets through, and the caller never hears of it.

  @project-default
  Scenario: The first server of an SRV pair answers 503 and the second takes the call
    Given 1002 is reached through the DNS name "carrier.test"
    And the DNS SRV record of priority 10 for "carrier.test" names device "primary", which answers every call with 503
    And the DNS SRV record of priority 20 for "carrier.test" names device "backup"
    And phone 1001 is registered
    When 1001 calls 1002
    Then 1002 rings on device "backup"
    When 1002 answers on device "backup"
    Then 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally

  @project-default
  Scenario: A contact whose DNS name does not exist fails the call at once with 503
    Given 1002 is reached through the DNS name "nosuch.test"
    And phone 1001 is registered
    When 1001 calls 1002
    Then the call fails with 503
