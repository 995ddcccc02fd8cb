# Used by TestAfterHookFailsUncheckedCall: this scenario places a call and
# never asserts how it ended, so the after-scenario hook must fail it.
Feature: Unchecked call
  Scenario: A call whose end nobody checks
    Given phone 1001 is registered
    And phone 1002 is registered
    When 1001 calls 1002
    Then 1002 rings
