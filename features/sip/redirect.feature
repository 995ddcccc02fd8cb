# Issue 9, "A callee's 3xx": relayed with its Contacts, or followed by the
# PBX per subscriber (subscribers[].follow_redirects). Following is the one
# redirection mechanism of the PBX: 181 to the caller (RFC 3261 §21.1.3), a
# Diversion entry on the new INVITE (RFC 5806), loop detection, the path in
# the CDR. A phone's deflect key answers 302 naming another number at the
# PBX (sip:1003@pbx): the PBX rings that number's registered phones, and the
# call is for that number from then on (its CDR callee, its own
# follow_redirects for a further 3xx) — project default.
@in-process @rfc3261 @rfc5806 @cap-calls @cap-b2bua
Feature: A callee's redirect (3xx)
  A phone that deflects a call does not hang the caller up: the PBX either
  tells the caller where to go, or takes the call there itself.

  @project-default @pbx-files
  Scenario: The PBX follows a callee's 302 to another number
    Given the PBX follows redirects from 1002
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002
    And 1002 redirects the call to 1003 with 302
    Then 1003 rings
    And 1001 is told the call is being forwarded
    And the call reaches 1003 diverted from 1002
    When 1003 answers
    Then 1001 and 1003 hear each other
    When 1001 hangs up
    Then the call ends normally
    And the call record shows the call to 1003 diverted from 1002

  @project-default
  Scenario: Without following, the caller gets the 302
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002
    And 1002 redirects the call to 1003 with 302
    Then the call fails with 302
    And 1003 does not ring

  @project-default
  Scenario: Two phones deflecting to each other make a loop the PBX ends
    Given the PBX follows redirects from 1002
    And the PBX follows redirects from 1003
    And phone 1001 is registered
    And phone 1002 is registered
    And phone 1003 is registered
    When 1001 calls 1002
    And 1002 redirects the call to 1003 with 302
    And 1003 redirects the call to 1002 with 302
    Then the call fails with 482
