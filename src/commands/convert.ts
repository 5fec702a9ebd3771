import { defineCommand } from "citty";
import { UserError } from "../errors.js";

export default defineCommand({
  meta: { name: "convert", description: "(in progress)" },
  run() {
    throw new UserError("prm-rel convert is not built yet");
  },
});
