import { defineCommand } from "citty";
import { UserError } from "../errors.js";

export default defineCommand({
  meta: { name: "score", description: "(in progress)" },
  run() {
    throw new UserError("prm-rel score is not built yet");
  },
});
