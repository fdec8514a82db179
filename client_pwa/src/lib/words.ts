// The words people read when something cannot be done: every error and rejection code the server
// can answer (server/errors.py, sync/mutators/*, the payment gateway) turned into a sentence, and
// every action into its name. Screens never show a code, a mutation name or the server's own text
// for a known code. tests/unit/test_error_catalogue.py fails when a code the server uses has no
// sentence here.

import { formatDate } from './format'

type Args = Record<string, unknown>
type Sentence = string | ((args: Args) => string)

const code = (args: Args): string => (typeof args.promo_code === 'string' ? args.promo_code.trim().toUpperCase() : '')
const promo = (what: string) => (args: Args) => `The promo code ${code(args) || 'you typed'} ${what} — remove it or try another.`

/** Code → sentence (whole, capitalised, ending with a full stop). */
export const SENTENCES: Record<string, Sentence> = {
  // Bookings and requests
  promo_invalid: promo("isn't valid"),
  promo_expired: promo('has expired'),
  promo_not_started: promo("isn't valid yet"),
  promo_used_up: promo('has been used up'),
  price_changed: 'The price changed since you saw it. Check the new price and send it again.',
  po_required: 'This account needs a PO number on every booking. Add one and send it again.',
  date_in_past: 'That date has passed. Pick today or a later date.',
  slot_full: 'That time is fully booked. Pick another time or another day.',
  service_not_bookable: "That service can't be booked online any more. Pick another one or call us.",
  service_not_requestable: "One of the services can't be requested online. Pick another one or call us.",
  bad_time_window: 'The end time must be after the start time.',
  feature_disabled: 'This part of the portal is switched off right now. Please call us instead.',
  not_found: "That's no longer there, or it isn't on your account.",
  id_taken: 'This was already sent.',
  bad_args: "Something in this form couldn't be read. Check it and send it again.",
  invalid: "Something in this form couldn't be saved. Check it and send it again.",
  bad_value: "Something you typed can't be used. Check it and try again.",
  validation_error: 'Some of what you typed is missing or not in the right form. Check it and try again.',
  bad_request: "That request couldn't be understood. Try again.",
  unknown_mutation: "This app is out of date for that. Reload the page and try again.",
  unknown_fields: "This app is out of date for that. Reload the page and try again.",
  schema_mismatch: 'This app is out of date. Reload the page to get the new version.',
  // Jobs, estimates, reviews
  not_cancellable: "This job can't be cancelled any more: the truck is on its way or the job is done. Call us if you need to change it.",
  job_cancelled: 'This job was cancelled.',
  bad_status: "That status change isn't possible.",
  job_not_completed: 'You can review a job once it is completed.',
  already_reviewed: 'This job already has your review. Thank you!',
  estimate_decided: 'This estimate was already approved or declined.',
  estimate_expired: 'This estimate has expired. Ask us for a new one.',
  request_decided: 'This request was already approved or declined.',
  // Rentals
  rental_not_open: 'This rental is closed or its pickup is already requested.',
  rental_not_active: 'Only a rental that has been delivered can be swapped.',
  no_payment_method: 'Extensions are charged to your default card or bank account. Add one under Payment methods, then try again.',
  // Contacts, sites, messages
  not_primary_contact: "Only the account's primary contacts can manage contacts.",
  already_a_contact: 'That person is already a contact on this account.',
  cannot_remove_self: "You can't remove yourself. Ask another primary contact.",
  site_ids_required: 'Choose at least one site this contact may see.',
  email_or_phone: 'Give an email address or a phone number.',
  address_owned: 'This person signs in with that email address or phone number: only they or the office can change it.',
  address_taken: 'Another person already signs in with that email address or phone number. Use another one.',
  site_not_in_account: "That site isn't on this account.",
  empty_message: 'Type a message first.',
  email_taken: 'Someone already uses that email address.',
  same_address: 'That is already your address: nothing to change.',
  // Signing in and sessions
  not_authenticated: 'Please sign in again.',
  invalid_token: 'This sign-in link has expired or was already used. Ask for a new one.',
  link_revoked: 'This sign-in link was replaced by a newer one. Use the latest email, or ask for a new link.',
  session_revoked: 'You were signed out. Please sign in again.',
  bad_email: "That doesn't look like an email address. Check it and try again.",
  choose_identity: 'Choose which of your logins to continue with.',
  not_this_identity: "That login isn't one of yours. Choose another.",
  tenant_not_found: "We couldn't find this portal. Check the address.",
  portal_disabled: 'The online portal is switched off. Please call or email us.',
  forbidden: "You can't do that with this login.",
  read_only: 'This is a read-only view: changes are disabled.',
  csrf_failed: 'Your session needs a refresh. Reload the page and try again.',
  rate_limited: 'Too many tries in a short time. Wait a minute and try again.',
  admin_only: 'Only an administrator can do that.',
  last_admin: 'There must always be at least one administrator.',
  api_key_not_allowed: "An API key can't be used for that.",
  invalid_api_key: "That API key isn't valid.",
  bad_account: "That account isn't one of yours.",
  client_id_taken: 'This device needs to start over. Sign out and sign in again.',
  // Payments
  payments_unavailable: "Card payments aren't available right now. Please call us to pay.",
  bank_unavailable: "Bank payments aren't available right now. Please use a card or call us.",
  payment_gateway_unavailable: "We couldn't reach the payment service. Nothing was charged; try again in a moment.",
  card_declined: 'Your card was declined. Try another card or call your bank.',
  payment_declined: 'The payment was refused. Try another card or bank account.',
  payment_error: "The payment couldn't be made. Try another card or bank account.",
  authentication_required: 'Your bank needs you to confirm this payment. Pay it from Invoices to confirm.',
  setup_failed: "This payment method couldn't be set up. Add it again.",
  setup_intent_mismatch: 'This payment method belongs to another account. Add it again.',
  unsupported_payment_method: "That kind of payment method isn't accepted.",
  method_unverified: 'This bank account is waiting for its verification. Confirm the small deposits first.',
  not_awaiting_verification: 'This bank account is already verified.',
  verification_mismatch: "Those amounts don't match. Check the deposits on your statement and try again.",
  verification_attempts_exceeded: 'Too many wrong tries. Add the bank account again.',
  invoice_not_found: "That invoice isn't there any more.",
  invoice_not_payable: "This invoice can't be paid online right now.",
  online_payment_not_allowed: 'This invoice is paid another way. Please call us.',
  over_balance: "That's more than what is owed.",
  currency_in_use: 'The currency cannot change once jobs, estimates, invoices or payments have prices in it.',
  invalid_amount: 'Enter an amount greater than zero.',
  no_allocations: 'Choose at least one invoice to pay.',
  duplicate_invoice: 'The same invoice is listed twice.',
  payment_in_progress: 'A payment for this is already on its way. Wait a moment before paying again.',
  payment_processing: 'This payment is still being processed.',
  idempotency_key_required: "That payment couldn't be sent safely. Reload the page and try again.",
  bad_idempotency_key: "That payment couldn't be sent safely. Reload the page and try again.",
  idempotency_key_reused: 'That payment was already sent.',
  payment_not_refundable: "This payment can't be refunded.",
  not_a_stripe_payment: 'This payment was not made online, so it is refunded outside the portal.',
  refund_in_progress: 'A refund for this payment is already on its way.',
  refund_not_made: "The refund couldn't be made. Try again later.",
  invoice_closed: 'This invoice is already closed.',
  invoice_has_payments: 'This invoice has payments, so it cannot be changed that way.',
  invoice_status: "That isn't possible for an invoice in this state.",
  // Codes the payment service itself answers (passed on as they come)
  expired_card: 'That card has expired. Use another card.',
  incorrect_cvc: "The card's security code is wrong. Check it and try again.",
  incorrect_number: 'The card number is wrong. Check it and try again.',
  insufficient_funds: 'The card was declined for insufficient funds. Try another card.',
  processing_error: "The card couldn't be charged just now. Try again in a moment.",
  invalid_request: "The payment service couldn't use that. Check the details and try again.",
  refund_failed: "The refund couldn't be made. Try again later.",
  setup_incomplete: "This payment method wasn't fully set up. Add it again.",
  local_error: "This couldn't be saved on this device. Try again.",
  charge_already_refunded: 'This payment was already refunded.',
  stripe_unavailable: "We couldn't reach the payment service. Nothing was charged; try again in a moment.",
  stripe_misconfigured: "Card payments aren't available right now. Please call us to pay.",
  invalid_signature: "That message from the payment service couldn't be checked.",
  invalid_payload: "That message from the payment service couldn't be read.",
  webhook_not_configured: "Payment updates aren't set up on this server.",
  // Uploads, documents, tracking, imports
  too_large: 'That file is too large.',
  upload_quota: 'You have sent as many photos as allowed for today. Try again tomorrow.',
  upload_quota_bytes: 'You have sent as much as allowed for today. Try again tomorrow.',
  render_busy: 'Your document is still being prepared. Try again in a moment.',
  empty_file: 'That file is empty.',
  not_an_image: "That file isn't a photo.",
  not_multipart: "That upload couldn't be read. Try again.",
  bad_multipart: "That upload couldn't be read. Try again.",
  upload_missing: "The photo didn't finish uploading. It will be sent again.",
  unsupported_media_type: "That kind of file isn't accepted.",
  bad_period: 'Choose a valid period.',
  no_truck: 'No truck is assigned to you today.',
  bad_fix: "The truck's position couldn't be read.",
  too_many_fixes: 'Too many position updates at once.',
  invalid_subscription: "Notifications couldn't be turned on for this device.",
  import_refused: "That file couldn't be imported. Check it and try again.",
  unknown_kind: "That kind of import isn't supported.",
  unknown_collection: "That list doesn't exist.",
  read_only_collection: "That list can't be changed here.",
  unknown_reference: 'One of the choices no longer exists. Pick it again.',
  bad_filter: "That filter couldn't be used.",
  conflict: 'Someone else changed this meanwhile. Reload it and try again.',
  not_deletable: "This kind of record can't be deleted.",
  job_started: 'A job that is under way or done cannot be deleted. Cancel it instead.',
  invoice_posted: 'Only a draft invoice can be deleted. Void a posted one instead.',
  estimate_approved: 'An approved estimate is part of the job it made, so it cannot be deleted.',
  in_use: 'Other records still use this one, so it cannot be deleted.',
  method_not_allowed: "That can't be done here.",
  // The server and the network
  busy: 'We are busy for a moment. Try again in a few seconds.',
  internal_error: 'Something went wrong on our side. Try again in a moment.',
  pwa_not_built: 'The app is being updated. Try again in a few minutes.',
  network_error: "We couldn't reach the server. Check your connection; what you saved is kept.",
  rejected: "This couldn't be done.",
  sync_failed: 'Something went wrong while syncing. What you saved is kept on this device.',
  error: "This couldn't be done. Try again.",
}

/** Which field of the action's form a code is about (its reason is shown beside that field). */
export const FIELD_OF: Record<string, string> = {
  promo_invalid: 'promo_code', promo_expired: 'promo_code', promo_not_started: 'promo_code', promo_used_up: 'promo_code',
  price_changed: 'quoted_price', po_required: 'po_number', date_in_past: 'date', slot_full: 'time_slot_id',
  service_not_bookable: 'service_type_id', service_not_requestable: 'lines', bad_time_window: 'end_time',
  address_owned: 'email', address_taken: 'email', email_or_phone: 'email', site_ids_required: 'site_ids',
  empty_message: 'body', no_payment_method: 'payment_method',
}

/** Each action, as the person would name what they did ("Your booking wasn't accepted"). */
export const ACTIONS: Record<string, string> = {
  'job.book': 'Your booking', 'job.cancel': 'Cancelling the job', 'job.set_po': 'The PO number',
  'invoice.set_po': 'The PO number', 'site.upsert': 'The location', 'service_request.submit': 'Your service request',
  'supply_request.submit': 'Your supply request', 'unit.report_issue': 'Your issue report', 'review.submit': 'Your review',
  'estimate.approve': 'The estimate approval', 'estimate.decline': 'Declining the estimate',
  'rental.extend': 'The rental extension', 'rental.request_pickup': 'The pickup request', 'rental.request_swap': 'The swap request',
  'message.send': 'Your message', 'message.mark_read': 'Marking messages read', 'notification.mark_read': 'Marking notifications read',
  'contact.upsert': 'The contact change', 'contact.remove': 'Removing the contact',
  'job.advance': 'A job status change', 'job.add_photo': 'A job photo',
}

/** The sentence for `code`; `args`: what was sent (a promo code's sentence names it). */
export function say(errorCode: string | undefined, args: Args = {}): string {
  const sentence = SENTENCES[errorCode ?? ''] ?? (errorCode?.startsWith('http_') ? SENTENCES.error : SENTENCES.rejected)
  return typeof sentence === 'function' ? sentence(args) : sentence
}

/** The sentence for anything thrown at a screen: an ApiError's code, else the error's own words
 *  (errors the app itself raises are already written for people). */
export function sayError(error: unknown, args: Args = {}): string {
  const errorCode = (error as { code?: unknown } | null)?.code
  if (typeof errorCode === 'string') return say(errorCode, args)
  return error instanceof Error && error.message ? error.message : SENTENCES.error as string
}

/** "Your booking wasn't accepted." */
export function actionRefused(name: string): string {
  return `${ACTIONS[name] ?? 'Something you sent'} wasn't accepted`
}

/** A text the server wrote (a notification's title or body) as people read it: its calendar dates
 *  in the app's date format, not as stored ("on 2026-12-04" → "on Fri, Dec 4"). */
export function readable(text: string | null | undefined): string {
  return (text ?? '').replace(/\b(?:19|20|21)\d\d-\d\d-\d\d\b(?!T)/g, (date) => formatDate(date))
}
