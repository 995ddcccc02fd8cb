# Used by TestScenarioDeadline: the scenario waits far longer than the
# deadline the test gives it, so the deadline must end it.
Feature: Deadline
  Scenario: A scenario that outlives its deadline
    When 600 seconds pass
    Then the call ends normally
