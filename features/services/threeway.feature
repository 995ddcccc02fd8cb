# Service: three-party
# Three-party call and ad-hoc conference (services.three_party). The
# manual's chapter on it is unread: everything here is a project default,
# as RFC 5359 §2.18 describes the result and Asterisk/FreeSWITCH users
# expect it.
#
# Our choices: the mechanism needs nothing of the phone but hold, a second
# call and RFC 4733 DTMF (Asterisk's atxferthreeway, *3): A talks to B,
# holds B, calls C and keys *3 in the call with C. The PBX moves B, C and
# A onto an ad-hoc conference room of its media server (each hears the
# two others and not itself), re-INVITEs each of them with its own SDP
# (B is taken off hold that way) and ends A's held dialog with B by BYE
# (Reason: SIP ;cause=200 ;text="Merged into a three-party call"): A's
# phone keeps one call. From then on each party's leg lives on its own: a
# party that hangs up leaves and the others stay; one left alone is
# disconnected by the PBX; the host's hang-up leaves B and C talking
# (on_host_hangup: stay; "end" ends the conference). A party that holds
# the conference is away (muted, it hears nothing) until it resumes; it
# may meanwhile call D and key *3 there to add D (max_parties, default 6:
# a full conference refuses with the busy tone and the call with D goes
# on). *3 with the service switched off, or without another call to
# merge, gets the error tone and changes nothing. With the media server
# off the PBX hears no DTMF (the media goes phone to phone): *3 reaches
# the far phone and nothing happens; every call goes on and ends cleanly.
# A third party who is busy fails the consultation call (486): A resumes
# B. Every leg ends and every call's CDR is written when its last leg
# ends.
@in-process @cap-registrar @cap-calls @cap-media @cap-service-three-party
Feature: Three-party call and ad-hoc conference
  A subscriber in a call holds it, calls a third party and merges the two
  calls into a conference with the in-call code *3.

  @project-default @pbx-files
  Scenario: A holds B, calls C and merges: all three hear each other
    Given phones 1000 to 1002 are registered
    When 1000 calls 1001
    Then 1001 rings
    When 1001 answers
    Then 1000 and 1001 hear each other
    When 1000 puts the call on hold
    And 1000 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1000 and 1002 hear each other
    When 1000 keys *3 in its call with 1002
    Then 1000's call with 1001 is ended by the PBX
    And 1000, 1001 and 1002 hear each other in the conference
    When 1000 leaves the conference
    Then 1001 and 1002 hear each other in the conference
    When 1001 leaves the conference
    Then 1002 is disconnected from the conference by the PBX
    And every call of the scenario has ended
    And every call of the scenario left an answered CDR

  @project-default
  Scenario: The conference ends with its host when so configured
    Given a three-party call ends when its host hangs up
    And phones 1000 to 1002 are registered
    When 1000 calls 1001
    Then 1001 rings
    When 1001 answers
    Then 1000 and 1001 hear each other
    When 1000 puts the call on hold
    And 1000 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1000 and 1002 hear each other
    When 1000 keys *3 in its call with 1002
    Then 1000, 1001 and 1002 hear each other in the conference
    When 1000 leaves the conference
    Then 1001 is disconnected from the conference by the PBX
    And 1002 is disconnected from the conference by the PBX
    And every call of the scenario has ended

  @project-default
  Scenario: A party who holds the conference is away until it resumes
    Given phones 1000 to 1002 are registered
    When 1002 calls 1000
    Then 1000 rings
    When 1000 answers
    Then 1000 and 1002 hear each other
    When 1000 puts the call on hold
    And 1000 calls 1001
    Then 1001 rings
    When 1001 answers
    Then 1000 and 1001 hear each other
    When 1000 keys *3 in its call with 1001
    Then 1000, 1001 and 1002 hear each other in the conference
    When 1002 puts the conference on hold
    Then 1000 and 1001 hear each other in the conference
    When 1002 resumes the conference
    Then 1000, 1001 and 1002 hear each other in the conference
    When 1002 leaves the conference
    And 1001 leaves the conference
    Then 1000 is disconnected from the conference by the PBX
    And every call of the scenario has ended

  @project-default
  Scenario: A party adds a fourth; a full conference refuses a fifth
    Given ad-hoc conferences seat 4 parties
    And phones 1000 to 1004 are registered
    When 1000 calls 1001
    Then 1001 rings
    When 1001 answers
    Then 1000 and 1001 hear each other
    When 1000 puts the call on hold
    And 1000 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1000 and 1002 hear each other
    When 1000 keys *3 in its call with 1002
    Then 1000, 1001 and 1002 hear each other in the conference
    When 1001 puts the conference on hold
    And 1001 calls 1003
    Then 1003 rings
    When 1003 answers
    Then 1001 and 1003 hear each other
    When 1001 keys *3 in its call with 1003
    Then 1001's call with 1000 is ended by the PBX
    And 1000, 1001, 1002 and 1003 hear each other in the conference
    When 1002 puts the conference on hold
    And 1002 calls 1004
    Then 1004 rings
    When 1004 answers
    Then 1002 and 1004 hear each other
    When 1002 keys *3 in its call with 1004
    Then 1002 hears the CN busy tone in its call with 1004
    When 1002 hangs up its call with 1004
    And 1002 resumes its call with 1000
    Then 1000, 1001, 1002 and 1003 hear each other in the conference
    When 1000 leaves the conference
    And 1001 leaves the conference
    And 1002 leaves the conference
    Then 1003 is disconnected from the conference by the PBX
    And every call of the scenario has ended

  @project-default
  Scenario: With the service switched off *3 gets the error tone and nothing changes
    Given the service "three_party" is switched off for 1000
    And phones 1000 to 1002 are registered
    When 1000 calls 1001
    Then 1001 rings
    When 1001 answers
    Then 1000 and 1001 hear each other
    When 1000 puts the call on hold
    And 1000 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1000 and 1002 hear each other
    When 1000 keys *3 in its call with 1002
    Then 1000 hears the CN error tone in its call with 1002
    And 1000 and 1002 hear each other
    When 1000 hangs up its call with 1002
    And 1000 resumes its call with 1001
    Then 1000 and 1001 hear each other
    When 1001 hangs up its call with 1000
    Then every call of the scenario has ended

  @project-default
  Scenario: Without the media server *3 does nothing and the calls end cleanly
    Given the media server is switched off
    And phones 1000 to 1002 are registered
    When 1000 calls 1001
    Then 1001 rings
    When 1001 answers
    Then 1000 and 1001 hear each other
    When 1000 puts the call on hold
    And 1000 calls 1002
    Then 1002 rings
    When 1002 answers
    Then 1000 and 1002 hear each other
    When 1000 keys *3 in its call with 1002
    Then 1000 and 1002 hear each other
    When 1000 hangs up its call with 1002
    And 1000 resumes its call with 1001
    Then 1000 and 1001 hear each other
    When 1001 hangs up its call with 1000
    Then every call of the scenario has ended

  @project-default
  Scenario: A third party who is busy: A returns to B
    Given phones 1000 to 1002 are registered
    And phone 1002 is busy
    When 1000 calls 1001
    Then 1001 rings
    When 1001 answers
    Then 1000 and 1001 hear each other
    When 1000 puts the call on hold
    And 1000 calls 1002
    Then the call fails with 486
    When 1000 resumes its call with 1001
    Then 1000 and 1001 hear each other
    When 1000 hangs up its call with 1001
    Then every call of the scenario has ended
