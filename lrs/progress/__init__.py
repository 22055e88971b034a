"""Training progress and learning hours (JP): the domain model and its rules, as pure functions.

* :mod:`lrs.progress.training` - a training's definition (course, modules, JP, passing rule, enrolment).
* :mod:`lrs.progress.events` - one stored statement -> the compact progress events the projection keeps.
* :mod:`lrs.progress.timespent` - time spent, as the union of activity intervals (never counted twice).
* :mod:`lrs.progress.rules` - a participant's events -> their progress row (status, modules, score, time).
* :mod:`lrs.progress.hours` - JP per learner per year, per tenant and consolidated across tenants.
"""
