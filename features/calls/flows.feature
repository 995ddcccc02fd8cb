# Golden call flows (pcaps/golden/*.flow): each scenario ends by comparing
# its own capture's normalised call flow (internal/flow: parties by role,
# Call-IDs and tags as placeholders, the headers that matter, SDP direction
# and codecs) with the committed one, dialog by dialog. A change in what
# the PBX sends — a header dropped, a message added, a status changed —
# fails here even when the phones do not notice. `go test ./features/
# -run 'TestFeatures$' -update` rewrites the golden flows after a change
# that is meant; review their diff like code. `pbxlab flow CAPTURE
# --compare pcaps/golden/NAME.flow` does the same comparison by hand.
#
# Our choice (project default): the flows are pbxlab's own, so only a
# target offering @cap-golden-flows runs them; another PBX's flows differ
# legitimately (a proxy keeps one Call-ID end to end).
@project-default @cap-golden-flows @cap-registrar @cap-calls @cap-auth @cap-b2bua
Feature: Golden call flows
  The messages of the basic call flows are those captured once and kept
  under pcaps/golden.

  Scenario: The flow of an answered call the caller ends
    Given phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    And 1001 hears ringing
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally
    And the call flow matches `pcaps/golden/basic-call.flow`

  Scenario: The flow of a call to a busy phone
    Given phone 1001 is registered
    And phone 1002 is registered
    And phone 1002 is busy
    When 1001 calls 1002
    Then the call fails with 486
    And the call flow matches `pcaps/golden/busy.flow`

  Scenario: The flow of a call the caller gives up while it rings
    Given phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    And 1001 hears ringing
    When 1001 hangs up
    Then the call fails with 487
    And 1002 stops ringing
    And the call flow matches `pcaps/golden/cancel.flow`

  Scenario: The flow of a phone that unregisters
    Given phone 1001 is registered
    And phone 1002 is registered
    When phone 1001 unregisters
    Then a call from 1002 to 1001 fails with 480
    And 1001 does not ring
    And the call flow matches `pcaps/golden/unregister.flow`

  @cap-media @cap-moh
  Scenario: The flow of a hold and a resume
    Given phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
    And 1001 hears ringing
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1001 puts the call on hold
    Then 1002 hears the music on hold
    When 1001 resumes the call
    Then 1001 and 1002 hear each other
    When 1001 hangs up
    Then the call ends normally
    And the call flow matches `pcaps/golden/hold-resume.flow`

  @cap-early-media @cap-100rel @rfc3262
  Scenario: The flow of a reliable 183 with early media
    Given phone 1001 is registered
    And phone 1002 is registered
    And 1001 requires 100rel
    And phone 1002 sends early media while ringing
    When 1001 calls 1002
    Then 1001 receives a reliable 183 and acknowledges it
    And 1001 receives early media
    When 1002 answers
    Then 1001 and 1002 hear each other
    When 1002 hangs up
    Then the call ends normally
    And the call flow matches `pcaps/golden/reliable-183.flow`
