/** Phone changes the server failed to apply (admins): kept whole, never dropped. */
export const consoleSyncFailed = {
  en: {
    "console.nav.syncFailed": "Failed phone changes",
    "syncFailed.title": "Failed phone changes",
    "syncFailed.intro":
      "Changes sent from phones that the server could not apply because of a fault on its side (not a refusal). Each was tried three times; the phone's other changes went on. The change is kept here as it was sent.",
    "syncFailed.status.failed": "Failed for good",
    "syncFailed.status.retrying": "Being tried again",
    "syncFailed.status.settled": "Applied later",
    "syncFailed.filter": "Show",
    "syncFailed.col.when": "Last attempt",
    "syncFailed.col.user": "User",
    "syncFailed.col.change": "Change",
    "syncFailed.col.attempts": "Attempts",
    "syncFailed.col.error": "Error",
    "syncFailed.col.sent": "As sent",
    "syncFailed.none": "None.",
  },
  zh: {
    "console.nav.syncFailed": "手机端失败的修改",
    "syncFailed.title": "手机端失败的修改",
    "syncFailed.intro":
      "手机发送、但因服务器端故障（并非被拒绝）而无法应用的修改。每条已尝试三次；该手机的其他修改已继续同步。修改按发送时的内容完整保留在此。",
    "syncFailed.status.failed": "最终失败",
    "syncFailed.status.retrying": "正在重试",
    "syncFailed.status.settled": "稍后已应用",
    "syncFailed.filter": "显示",
    "syncFailed.col.when": "最近一次尝试",
    "syncFailed.col.user": "用户",
    "syncFailed.col.change": "修改",
    "syncFailed.col.attempts": "尝试次数",
    "syncFailed.col.error": "错误",
    "syncFailed.col.sent": "发送的内容",
    "syncFailed.none": "无。",
  },
} as const;
