# Service: subscriber-management | Call Services ch. 2
# Subscriber management (manual, Call Services ch. 2). The manual names the
# service (adding, suspending, resuming and deleting subscribers at run
# time) but not how; what follows is our choice (@project-default):
#
# - An authenticated HTTP admin API (JSON, a bearer token, admin.token)
#   on the PBX's admin server changes the subscriber directory at run
#   time. The configuration's subscribers are the base; the changes are
#   kept in the PBX's store, so a restart keeps them.
# - A new subscriber can register with its password and be called at once.
# - A suspended subscriber keeps its registrations, but its calls do not
#   complete: a call it makes hears the "suspended" prompt in early media
#   (183, as for call interception, Call Services ch. 1), then 403
#   Forbidden; a call to it hears the same prompt, then 480 Temporarily
#   Unavailable (it exists and may come back, like an unregistered
#   subscriber). Resuming restores both.
# - Deleting a subscriber drops its registrations and makes its number
#   vacant: calls to it get 404, its REGISTERs are refused (the digest
#   credentials are gone: 401/403 from authentication, 404 if they got
#   past it).
# The scenarios configure the suspended prompt as a tone, whose
# frequencies a phone's audio check knows (the built-in prompt is spoken).
@cap-admin-api @cap-registrar @cap-calls @in-process
Feature: Subscriber management through the admin API
  An administrator adds, suspends, resumes and deletes subscribers while
  the PBX runs; the PBX serves the change at once.

  @project-default
  Scenario: A subscriber added at run time registers and is called
    Given the PBX's admin API is on
    And phone 1001 is registered
    When the administrator adds subscriber 2001 with password "s3cret-2001"
    And phone 2001 registers
    Then the registration of 2001 is accepted
    And the admin API shows subscriber 2001 as active
    And 1001 can reach 2001
    And 2001 can reach 1001

  @project-default @cap-media @cap-prompts @cap-early-media
  Scenario: A suspended subscriber's call hears the prompt, then 403
    Given the PBX's admin API is on
    And the PBX plays the US dial tone for 3 seconds to calls to or from a suspended subscriber
    And phone 1001 is registered
    And phone 1002 is registered
    When the administrator suspends subscriber 1001
    And 1001 calls 1002
    Then 1001 hears the US dial tone in early media
    And the call fails with 403
    And 1002 does not ring
    And the admin API shows subscriber 1001 as suspended

  @project-default @cap-media @cap-prompts @cap-early-media
  Scenario: A call to a suspended subscriber hears the prompt, then 480, and its registration is kept
    Given the PBX's admin API is on
    And the PBX plays the US dial tone for 3 seconds to calls to or from a suspended subscriber
    And phone 1001 is registered
    And phone 1002 is registered
    When the administrator suspends subscriber 1002
    And 1001 calls 1002
    Then 1001 hears the US dial tone in early media
    And the call fails with 480
    And 1002 does not ring
    And the registration of 1002 is accepted

  @project-default
  Scenario: A resumed subscriber calls and is called again
    Given the PBX's admin API is on
    And phone 1001 is registered
    And phone 1002 is registered
    When the administrator suspends subscriber 1002
    Then a call from 1002 to 1001 fails with 403
    When the administrator resumes subscriber 1002
    Then the admin API shows subscriber 1002 as active
    And 1002 can reach 1001
    And 1001 can reach 1002

  @project-default
  Scenario: A deleted subscriber's number is vacant and it can no longer register
    Given the PBX's admin API is on
    And phone 1001 is registered
    And phone 1002 is registered
    When the administrator deletes subscriber 1002
    Then the admin API has no subscriber 1002
    And a call from 1001 to 1002 fails with 404
    When phone 1002 registers again
    Then the registration is refused with 401 or 403 or 404

  @project-default
  Scenario: The admin API refuses requests without the right token
    Given the PBX's admin API is on
    Then the admin API refuses a request without the token with 401
    And the admin API refuses a request with a wrong token with 401
    And the admin API shows subscriber 1000 as active
