# SIP trunks (issue 10): the PBX registers with a carrier (peers[].register,
# RFC 3261 §10) answering its digest challenge with the trunk's account,
# and renews the registration before the lifetime the carrier granted runs
# out (at half of it, at most 5 minutes before the end).
#
# Inbound: the carrier sends a call for one of the PBX's DIDs to the
# contact the PBX registered (Request-URI sip:<contact user>@<PBX>), the
# DID in To. A call from the carrier's address is the trunk's: it is not
# challenged, and its DID is analysed in the trunk's numbering context
# (peers[].context) where an entry sends it to a subscriber. The same
# INVITE from any other address is challenged like every call: the
# registration authenticates nobody. A call that came in from a trunk
# never goes out through a trunk again (peers[].transit, off by default:
# toll fraud).
#
# Caller ID: a carrier inside the trust domain (peers[].caller_id.pai) gets
# P-Asserted-Identity with the caller's number (RFC 3325) and, with
# caller_id.from_user, the trunk's number in From. A caller withholding
# its number (Privacy: id, or subscribers[].clir) is "Anonymous"
# <sip:anonymous@anonymous.invalid> with Privacy: id (RFC 3323); a carrier's
# withheld caller reaches the phone as anonymous, and the phone never gets
# a P-Asserted-Identity.
#
# OPTIONS qualify marks a trunk down after `unreachable` unanswered
# OPTIONS; a route skips it until it answers again.
#
# The carriers are sim/carrier on 127.0.0.2 (the phones are on 127.0.0.1;
# the trunk's default acl is the carrier's address and port anyway).
@in-process @host-peers @cap-trunks @project-default
Feature: SIP trunks to a carrier
  The PBX registers its trunk with the carrier, takes the carrier's calls
  to its DIDs, and presents its callers to the carrier as configured.

  Background:
    Given carrier "acme" is a trunk of the PBX registered as "pbx01" with contact "trunk1"

  @rfc3261
  Scenario: The PBX registers its trunk with digest and renews the registration
    Given carrier "backup" is a trunk of the PBX registered as "pbx02" with contact "trunk2", granting 2 s registrations
    When the PBX starts
    Then the PBX registers with carrier "acme" after a digest challenge
    And the PBX registers with carrier "backup" after a digest challenge
    And the PBX renews its registration with carrier "backup" before it expires

  @rfc3261
  Scenario: A trunk whose password the carrier refuses stays unregistered
    Given the PBX's password for carrier "acme" is wrong
    When the PBX starts
    Then carrier "acme" does not register the PBX

  Scenario: A call to a DID reaches the subscriber the DID is for
    Given DID 861012345601 of carrier "acme" is for 1001
    And phone 1001 is registered
    When carrier "acme" calls DID 861012345601 from 02012345678
    Then 1001 rings
    And 1001 sees the call from "02012345678"
    When 1001 answers
    And 1001 hangs up
    Then the call ends normally

  @rfc3323 @rfc3325
  Scenario: A carrier's caller who withholds the number reaches the phone as anonymous
    Given DID 861012345601 of carrier "acme" is for 1001
    And phone 1001 is registered
    When carrier "acme" calls DID 861012345601 from 02012345678 withholding the number
    Then 1001 rings
    And 1001 sees the call from "anonymous"
    When 1001 answers
    And 1001 hangs up
    Then the call ends normally

  Scenario: A call from the carrier never goes out through a trunk again
    Given numbers starting with 9 go out through carrier "acme" with that prefix removed
    And phone 1001 is registered
    When carrier "acme" calls DID 90123456789 from 02012345678
    Then the call fails with 403
    And carrier "acme" receives no call back

  @rfc3325
  Scenario: The carrier learns the caller's number and sees the trunk's number in From
    Given carrier "acme" is trusted with the caller's identity and shows the trunk number 861012345600
    And carrier "acme" answers every call busy
    And numbers starting with 9 go out through carrier "acme" with that prefix removed
    And phone 1001 is registered
    When 1001 dials the outside number 90123456789
    Then carrier "acme" receives the call for 0123456789 from "861012345600" asserting "1001"
    And the call fails with 486

  @rfc3323 @rfc3325
  Scenario: A subscriber who withholds the number is anonymous; only a trusted carrier learns it
    Given carrier "trusted" is a trunk of the PBX registered as "pbx02" with contact "trunk2"
    And carrier "trusted" is trusted with the caller's identity and shows the trunk number 861012345600
    And carrier "acme" answers every call busy
    And carrier "trusted" answers every call busy
    And numbers starting with 9 go out through carrier "acme" with that prefix removed
    And numbers starting with 8 go out through carrier "trusted" with that prefix removed
    And phone 1001 is registered
    When 1001 dials the outside number 90123456789 withholding its number
    Then carrier "acme" receives the call for 0123456789 from "anonymous" asserting "" with Privacy: id
    And the call fails with 486
    When 1001 dials the outside number 80123456789 withholding its number
    Then carrier "trusted" receives the call for 0123456789 from "anonymous" asserting "1001" with Privacy: id
    And the call fails with 486

  Scenario: A trunk that stops answering OPTIONS is skipped until it answers again
    Given carrier "backup" is a trunk of the PBX registered as "pbx02" with contact "trunk2"
    And carrier "acme" is qualified every second
    And carrier "acme" answers every call busy
    And carrier "backup" answers every call busy
    And numbers starting with 9 go out through carrier "acme", then carrier "backup", with that prefix removed
    And phone 1001 is registered
    When carrier "acme" stops answering
    Then trunk "acme" is down
    When 1001 dials the outside number 90123456789
    Then the call goes out through carrier "backup" for 0123456789
    And the call fails with 486
    When carrier "acme" answers again
    Then trunk "acme" is up
    When 1001 dials the outside number 90123456789
    Then the call goes out through carrier "acme" for 0123456789
    And the call fails with 486
