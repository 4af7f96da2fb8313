/** Reaching the customer: map links from the address, and logging a call or message. */
export const reach = {
  en: {
    "map.open": "Map",
    "map.amap": "AMap",
    "map.baidu": "Baidu",
    "map.noAddress": "No address (position known)",
    "map.links": "Open in a map app",
    "callback.region": "Log this contact",
    "callback.phone": "You called {name}. Log the call?",
    "callback.sms": "You wrote to {name}. Log the message?",
    "callback.log": "Log it",
    "callback.dismiss": "Not now",
  },
  zh: {
    "map.open": "地图",
    "map.amap": "高德地图",
    "map.baidu": "百度地图",
    "map.noAddress": "无地址（已知位置）",
    "map.links": "在地图应用中打开",
    "callback.region": "记录本次联系",
    "callback.phone": "您刚给{name}打了电话，要记录这次通话吗？",
    "callback.sms": "您刚给{name}发了短信，要记录吗？",
    "callback.log": "记录",
    "callback.dismiss": "暂不",
  },
};
