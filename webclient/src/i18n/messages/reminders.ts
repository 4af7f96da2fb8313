/**
 * Reminders (src/reminders.ts): shown as notifications by the page and by the service
 * worker, which reads this area directly (it has no `t()`), so its words stay plain
 * templates with `{name}` placeholders. Settings' words for them are here too.
 */
export const reminders = {
  en: {
    "reminders.complaintTitle": "Complaint due at {time}",
    "reminders.complaintBody": "{customer}: answer the complaint by {time}.",
    "reminders.birthdayTitle": "Birthday today: {customer}",
    "reminders.birthdayBody": "Send {customer} your greetings today.",
    "reminders.setting": "Reminders",
    "reminders.toggle": "Notify me of complaints due within two hours and of today's birthdays",
    "reminders.explain":
      "This phone shows them when the app opens, and in the background where the browser allows it. No push service is involved.",
    "reminders.blocked":
      "The browser blocks notifications for this app: allow them in its site settings, then turn reminders on again.",
    "reminders.unsupported": "This browser cannot show notifications.",
  },
  zh: {
    "reminders.complaintTitle": "投诉将于 {time} 到期",
    "reminders.complaintBody": "{customer}：请在 {time} 前答复投诉。",
    "reminders.birthdayTitle": "今天生日：{customer}",
    "reminders.birthdayBody": "今天别忘了给{customer}送上祝福。",
    "reminders.setting": "提醒",
    "reminders.toggle": "投诉两小时内到期、客户今天生日时通知我",
    "reminders.explain": "由本机在打开应用时显示，浏览器允许时也会在后台显示，不经过任何推送服务。",
    "reminders.blocked": "浏览器禁止了本应用的通知：请在网站设置中允许通知，然后重新打开提醒。",
    "reminders.unsupported": "此浏览器无法显示通知。",
  },
};
