// Every citizen's phone on the Zalo emulator: create users, follow the OA, share info, send texts and read
// the inbox (files as download links). Relative URLs only: the page works wherever the emulator is mounted.
"use strict";

const cards = new Map(); // user_id → card element

async function call(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(data.detail || `Lỗi ${response.status}`);
  }
  return data;
}

function formValues(form) {
  const values = {};
  for (const [key, value] of new FormData(form).entries()) {
    if (String(value).trim()) values[key] = String(value).trim();
  }
  return values;
}

function show(card, text) {
  card.querySelector(".status").textContent = text;
}

function messageItem(message) {
  const item = document.createElement("li");
  item.className = `message ${message.type || "text"}`;
  const time = document.createElement("time");
  time.textContent = new Date(message.sent_at).toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh" });
  item.append(time);
  const title = message.title ? `${message.title}\n${message.subtitle || ""}` : "";
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = message.text || title;
  if (text.textContent) item.append(text);
  if (message.file) {
    const link = document.createElement("a");
    link.className = "file";
    link.href = message.file.download_path;
    link.download = message.file.filename;
    link.textContent = `Tải tệp: ${message.file.filename}`;
    item.append(link);
  }
  return item;
}

async function refreshInbox(card, userId) {
  const inbox = await call("GET", `inbox?user_id=${encodeURIComponent(userId)}`);
  card.querySelector(".follow-state").textContent = inbox.followed ? "đang quan tâm OA" : "chưa quan tâm OA";
  const list = card.querySelector(".inbox");
  if (list.childElementCount === inbox.messages.length) return;
  list.replaceChildren(...inbox.messages.map(messageItem));
  list.scrollTop = list.scrollHeight;
}

function action(card, userId, run, done) {
  return async (event) => {
    if (event) event.preventDefault();
    try {
      await run();
      show(card, done);
      await refreshInbox(card, userId);
    } catch (error) {
      show(card, error.message);
    }
  };
}

function newCard(user) {
  const card = document.getElementById("phone-card").content.firstElementChild.cloneNode(true);
  const id = encodeURIComponent(user.user_id);
  card.dataset.userId = user.user_id;
  card.dataset.phone = user.phone;
  card.querySelector(".name").textContent = user.display_name;
  card.querySelector(".number").textContent = `+${user.phone}`;
  card.querySelector(".follow").addEventListener("click",
    action(card, user.user_id, () => call("POST", `users/${id}/follow`), "Đã quan tâm OA."));
  card.querySelector(".unfollow").addEventListener("click",
    action(card, user.user_id, () => call("POST", `users/${id}/unfollow`), "Đã bỏ quan tâm OA."));
  const info = card.querySelector(".submit-info");
  info.addEventListener("submit", action(card, user.user_id,
    () => call("POST", `users/${id}/submit-info`, formValues(info)), "Đã gửi thông tin cho OA."));
  const send = card.querySelector(".send-text");
  send.addEventListener("submit", action(card, user.user_id, async () => {
    await call("POST", `users/${id}/send-text`, formValues(send));
    send.reset();
  }, "Đã gửi tin nhắn."));
  return card;
}

async function refresh() {
  const users = await call("GET", "users");
  const main = document.getElementById("phones");
  for (const user of users) {
    if (!cards.has(user.user_id)) {
      const card = newCard(user);
      cards.set(user.user_id, card);
      main.append(card);
    }
    await refreshInbox(cards.get(user.user_id), user.user_id);
  }
}

document.getElementById("new-user").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = document.getElementById("new-status");
  try {
    const user = await call("POST", "users", formValues(event.target));
    status.textContent = `Đã tạo người dùng ${user.display_name} (+${user.phone}).`;
    event.target.reset();
    await refresh();
  } catch (error) {
    status.textContent = error.message;
  }
});

refresh();
setInterval(() => refresh().catch(() => undefined), 2000);
