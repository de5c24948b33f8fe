// Front door of src/obligations: the working-day calendar and the acknowledgement duties
// (critical-forward notices, escalation, signed acknowledgement links, install-code duties).
export { createCalendar } from './calendar.js'
export type { CalendarOptions, CalendarRegion, WorkingDayCalendar } from './calendar.js'
export {
  addDays, dateOfDayNumber, dayNumber, isIsoDate, ukDateOf, ukDayNumberOf, ukMidnightUtc, weekday, isWeekend,
} from './days.js'
export type { IsoDate } from './days.js'
export { ALERT_WORKING_DAYS, CRITICAL_QUARANTINE_REASONS, alertDeadline, buildCriticalNotice, buildQuarantinedNotice, activeDelegation, redirectedDraft } from './notice.js'
export { alertName } from './alert-names.js'
export { durationWords, ukDayWords, ukDeadlineWords, ukTimeWords } from './uk-time.js'
export { renderNoticeText, type NoticeJson } from './notice-text.js'
export { CONTACT_LEVELS, FALLBACK_LEVEL, contactsAt, emailsAt, levelName, nextLevel, type ContactLevel } from './contacts.js'
export { ACK_PATH, createAckLinks, loadAckSecret, type AckLinks, type AckTokenCheck } from './ack-link.js'
export { answerAckLink, openAckLink, type AckFields, type AckLinkDeps, type AckOutcome, type OpenedAckLink } from './ack-answer.js'
export { escalationPartyId, planEscalation, ESCALATION_WORKING_DAYS } from './escalation.js'
export { installCodeDrafts, installCodeDraftsAtStart, INSTALL_CODE_LOOKBACK_DAYS, INSTALL_CODE_WORKING_DAYS } from './install-code.js'
export { ObligationScheduler, type ObligationStore, type SchedulerDeps } from './scheduler.js'
