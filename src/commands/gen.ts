import { defineCommand } from "citty";
import { UserError } from "../errors.js";

export default defineCommand({
  meta: { name: "gen", description: "(in progress)" },
  run() {
    throw new UserError("prm-rel gen is not built yet");
  },
});
