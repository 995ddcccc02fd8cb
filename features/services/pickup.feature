# Service: pickup | Call Services ch. 16
# Call pickup (manual, Call Services ch. 16; services.pickup): while A
# calls B and B rings, C dials the pickup code and takes the call; B stops
# ringing; A talks to C. Only subscribers with the pickup right may pick
# up. If A's outgoing call authority does not allow A to call C, C cannot
# pick up. Pickup works when callees ring in sequence, not when they ring
# simultaneously, and needs the media server.
#
# Our choices (project default): the codes are *8*<num># (directed) and
# *8# (any call ringing another member of the picker's pickup groups);
# the pickup right belongs to every member of a pickup group and to the
# numbers of services.pickup.right. B's INVITE is CANCELled with
# Reason: SIP ;cause=200 ;text="Call completed elsewhere" (RFC 3326). The
# PBX answers A and C with its own media and joins them in the media
# server (A gets no re-INVITE). Refusals: no right, or A may not call C:
# 403 (B rings on); nothing ringing that C may take: 480; a call ringing
# several parties at once (a ring-all hunt group): 480; a number that is
# no subscriber: 404; media server off: 486 (busy tone). A "*8" code that
# does not parse gets 484.
#
# The unilateral variant (manual: "C picks up a call the XE itself places
# to B"), our reading: a call whose leg to B the PBX originates rather
# than relays as dialled — a hunt group ringing its members one after
# another (the XE places the call to each member in turn) or a call the
# PBX forwarded to B (the XE places the forwarded leg). C dials *8*B#
# for the B that rings now and takes the call exactly as in the plain
# case; B's leg is CANCELled, the hunt stops (no next member rings).
# Sequential vs simultaneous ringing (manual: pickup works when callees
# ring in sequence, not when they ring simultaneously): the member a
# sequential group rings can be picked up; a ring-all group's call
# cannot (480, B rings on).
@in-process @cap-registrar @cap-calls @cap-media @cap-service-pickup
Feature: Call pickup
  A subscriber with the pickup right takes a call ringing someone else.

  @manual
  Scenario: Directed pickup: C takes the call ringing B
    Given 1003 has the pickup right
    And phones 1000 to 1003 are registered
    When 1000 calls 1001
    Then 1001 rings
    And 1000 hears ringing
    When 1003 picks up the call ringing 1001
    Then 1003 takes the call of 1000 to 1001
    And 1001 stops ringing, the call completed elsewhere
    And 1000 and 1003 hear each other
    When 1003 hangs up
    Then the call ends normally

  @project-default
  Scenario: Group pickup: a member takes a call ringing another member
    Given pickup group "office" has 1001, 1002
    And phones 1000 to 1002 are registered
    When 1000 calls 1001
    Then 1001 rings
    And 1000 hears ringing
    When 1002 picks up the call ringing in its pickup group
    Then 1002 takes the call of 1000 to 1001
    And 1000 and 1002 hear each other
    When 1000 hangs up
    Then the call ends normally

  @manual
  Scenario: Without the pickup right nobody picks up
    Given phones 1000 to 1003 are registered
    When 1000 calls 1001
    Then 1001 rings
    And 1000 hears ringing
    When 1003 picks up the call ringing 1001
    Then the call fails with 403
    And 1001 still rings and answers the call of 1000

  @manual
  Scenario: The caller's authority must allow calling the picker
    Given 1003 has the pickup right
    And 1000 is in group "guests"
    And 1003 is in group "board"
    And group "guests" may not call group "board"
    And phones 1000 to 1003 are registered
    When 1000 calls 1001
    Then 1001 rings
    And 1000 hears ringing
    When 1003 picks up the call ringing 1001
    Then the call fails with 403
    And 1001 still rings and answers the call of 1000

  @manual
  Scenario: A call ringing several parties at once is not picked up
    Given hunt group 2000 rings 1001, 1002 all at once, each for 10 seconds
    And 1003 has the pickup right
    And phones 1000 to 1003 are registered
    When 1000 calls hunt group 2000
    Then the hunt group call goes to 1001
    And 1001 rings
    And 1000 hears ringing
    When 1003 dials the pickup code "*8*2000#"
    Then the call fails with 480
    And 1001 still rings and answers the call of 1000

  @project-default
  Scenario: Nothing ringing to pick up
    Given 1003 has the pickup right
    And phones 1000 to 1003 are registered
    When 1003 picks up the call ringing 1001
    Then the call fails with 480

  @manual
  Scenario: Pickup needs the media server
    Given the media server is switched off
    And 1003 has the pickup right
    And phones 1000 to 1003 are registered
    When 1003 picks up the call ringing 1001
    Then the call fails with 486

  @manual @cap-service-hunt
  Scenario: Unilateral pickup: C takes the call a sequential hunt group places to a member
    Given hunt group 2000 rings 1001, 1002 one after another, each for 10 seconds
    And 1003 has the pickup right
    And phones 1000 to 1003 are registered
    When 1000 calls hunt group 2000
    Then the hunt group call goes to 1001
    And 1001 rings
    And 1000 hears ringing
    When 1003 picks up the call ringing 1001
    Then 1003 takes the call of 1000 to 1001
    And 1001 stops ringing, the call completed elsewhere
    And 1000 and 1003 hear each other
    And the hunt group did not ring 1002
    When 1003 hangs up
    Then the call ends normally

  @manual @cap-service-forwarding
  Scenario: Pickup of a forwarded call: C takes the call the PBX diverted to B
    Given 1001 forwards calls unconditionally to 1002
    And 1003 has the pickup right
    And phones 1000 to 1003 are registered
    When 1000 calls 1001, which is forwarded to 1002
    Then 1002 rings
    And 1000 hears ringing
    When 1003 picks up the call ringing 1002
    Then 1003 takes the call of 1000 to 1002
    And 1002 stops ringing, the call completed elsewhere
    And 1000 and 1003 hear each other
    When 1000 hangs up
    Then the call ends normally
