import { defineCommand } from "citty";
import { UserError } from "../errors.js";

export default defineCommand({
  meta: { name: "demo", description: "(in progress)" },
  run() {
    throw new UserError("prm-rel demo is not built yet");
  },
});
