# The yearly follow-up (FollowUp, ActivityReview, PlanVersion) arrives with its own issue;
# the app exists now so the layout and the dependency direction followup → plans hold from day one.
