# Issue 9, "Digest uri check", "Tolerant parsing where peers are tolerant"
# and "multipart bodies": what other stacks send that RFC-strict code would
# refuse. A digest uri that is not the Request-URI is answered 400 (RFC 2617
# §3.2.2.5), with a per-subscriber leniency (subscribers[].digest_uri:
# host) for tools that write uri=sip:host:port, as SIPp does. A carrier's
# INVITE with an SDP beside an ISUP IAM (RFC 3204) reaches the callee with
# the SDP alone. A UDP request whose headers end without the empty line is
# read as a request without a body, as Asterisk's stack does (our choice;
# pbxlab answers it as any INVITE without credentials, 407; a 400, as
# Kamailio gives, is an answer too — what no stack may do is drop it). The
# SDP-alone scenario is a B2BUA's (a proxy passes the body on). Kamailio's
# default configuration does not compare the digest uri with the
# Request-URI: its profile does not offer @cap-digest-uri.
@rfc3261 @cap-calls @cap-auth
Feature: Requests as other SIP stacks write them
  The PBX takes what real phones, tools and carriers send, and says why
  when it does not.

  @project-default @rfc2617 @cap-digest-uri
  Scenario: Credentials whose uri leaves out the Request-URI's user are refused with 400
    Given phone 1002 is registered
    When an INVITE from 1001 to 1002 arrives with credentials whose uri leaves out the user
    Then the PBX answers 400 Bad Request
    And 1002 does not ring

  @project-default @in-process
  Scenario: A subscriber allowed a host-only digest uri gets through
    Given the digest uri of 1001 may name only the PBX's host
    And phone 1002 is registered
    And phone 1002 is busy
    When an INVITE from 1001 to 1002 arrives with credentials whose uri leaves out the user
    Then the PBX answers 486 Busy Here

  @project-default @rfc3204 @rfc5621 @cap-b2bua
  Scenario: An INVITE with SDP and ISUP reaches the callee with the SDP alone
    Given phone 1002 is registered
    And phone 1002 is busy
    When an INVITE from 1001 to 1002 arrives with an SDP and ISUP multipart body
    Then the INVITE reaching 1002 carries the SDP alone
    And the PBX answers 486 Busy Here

  @project-default @udp
  Scenario: A UDP request without the empty line after its headers is answered
    Given phone 1002 is registered
    When an INVITE from 1001 to 1002 arrives without the empty line after its headers
    Then the PBX answers it rather than dropping it
    And 1002 does not ring
