import { defineCommand } from "citty";
import { UserError } from "../errors.js";

export default defineCommand({
  meta: { name: "grade", description: "(in progress)" },
  run() {
    throw new UserError("prm-rel grade is not built yet");
  },
});
