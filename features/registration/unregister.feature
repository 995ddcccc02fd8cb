# Removing bindings (RFC 3261 §10.2.2: Expires: 0 for one contact,
# Contact: * for all): the digest names the registrar role and registering
# or updating with REGISTER, not removing a registration, so this is
# RFC 3261's rule and our default; the 480 afterwards is ours too.
@project-default @rfc3261 @cap-registrar @cap-calls @cap-numbering
Feature: Unregistering a phone
  A phone removes its own binding with Expires 0, or every binding of its
  number with "Contact: *"; calls to the number then get 480.

  Scenario: A phone unregisters with Expires 0
    Given phone 1001 is registered
    And phone 1002 is registered
    When phone 1001 unregisters
    Then a call from 1002 to 1001 fails with 480
    And 1001 does not ring

  Scenario: Contact * removes the bindings of every device of the number
    Given phone 1001 is registered on device "desk"
    And phone 1001 is registered on device "mobile"
    And phone 1002 is registered
    When phone 1001 removes all its registrations
    Then a call from 1002 to 1001 fails with 480
    And 1001 does not ring
