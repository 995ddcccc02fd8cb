# Manual, Process Server: the redirect server role answers an INVITE with
# 100 Trying then 301 Moved Permanently whose Contact is the callee's
# registered location; the caller then calls the callee directly.
@manual @in-process @rfc3261 @cap-registrar @cap-redirect
Feature: Redirect server
  For a subscriber configured for redirection the PBX does not proxy the
  call: it tells the caller where the callee is.

  Scenario: 301 carries the registered contact and the caller calls it directly
    Given the PBX redirects calls to 1002 with 301
    And phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then the call is redirected with 301 to 1002's registered contact
    And 1002 does not ring
    When 1001 follows the redirect
    Then 1002 rings
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally
