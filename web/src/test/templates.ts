// Templates as GET …/connections/{connection}/templates lists them: the shapes the
// WhatsApp Cloud API gives (the demo's simulator lists the same).
import type { ListedTemplate } from "../api/types";

export const orderUpdate: ListedTemplate = {
  name: "order_update",
  language: "en_US",
  category: "utility",
  status: "approved",
  parameter_format: "positional",
  body: "Hi {{1}}, your order {{2}} is on its way.",
  components: [{ type: "BODY", text: "Hi {{1}}, your order {{2}} is on its way.", example: { body_text: [["Maya", "#1042"]] } }],
};

export const welcome: ListedTemplate = {
  name: "welcome_offer",
  language: "de",
  category: "marketing",
  status: "approved",
  parameter_format: "named",
  body: "Hallo {{first_name}}, willkommen bei {{shop}}! {{first_name}}, dein Code gilt heute.",
  components: [
    { type: "HEADER", format: "IMAGE", example: { header_handle: ["https://scontent.whatsapp.net/example"] } },
    {
      type: "BODY",
      text: "Hallo {{first_name}}, willkommen bei {{shop}}! {{first_name}}, dein Code gilt heute.",
      example: { body_text_named_params: [{ param_name: "first_name", example: "Lena" }, { param_name: "shop", example: "Blumenladen" }] },
    },
    { type: "FOOTER", text: "Abmelden mit STOP" },
    {
      type: "BUTTONS",
      buttons: [
        { type: "URL", text: "Zum Angebot", url: "https://shop.example/offer/{{1}}", example: ["https://shop.example/offer/abc"] },
        { type: "QUICK_REPLY", text: "Nein danke" },
      ],
    },
  ],
};

export const loginCode: ListedTemplate = {
  name: "login_code",
  language: "en_US",
  category: "authentication",
  status: "approved",
  parameter_format: "positional",
  body: "{{1}} is your verification code.",
  components: [
    { type: "BODY", text: "{{1}} is your verification code.", example: { body_text: [["123456"]] } },
    { type: "BUTTONS", buttons: [{ type: "COPY_CODE", text: "Copy code", example: "CODE123" }] },
  ],
};

export const deliverySlot: ListedTemplate = {
  name: "delivery_slot",
  language: "en_US",
  category: "utility",
  status: "approved",
  parameter_format: "positional",
  body: "Hi {{1}}, your delivery arrives tomorrow between 9:00 and 12:00.",
  components: [
    { type: "HEADER", format: "TEXT", text: "Order {{1}}", example: { header_text: ["#1042"] } },
    { type: "BODY", text: "Hi {{1}}, your delivery arrives tomorrow between 9:00 and 12:00.", example: { body_text: [["Maya"]] } },
  ],
};

export const deliveryNamed: ListedTemplate = {
  name: "delivery_named",
  language: "en_US",
  category: "utility",
  status: "approved",
  parameter_format: "named",
  body: "Hi {{first_name}}, it is on its way.",
  components: [
    { type: "HEADER", format: "TEXT", text: "Order {{order}}", example: { header_text_named_params: [{ param_name: "order", example: "#1042" }] } },
    { type: "BODY", text: "Hi {{first_name}}, it is on its way.", example: { body_text_named_params: [{ param_name: "first_name", example: "Maya" }] } },
  ],
};
