// Bottleneck's light build (no Redis clustering) ships no typings of its own; it has the full build's API.
declare module "bottleneck/light.js" {
  import Bottleneck from "bottleneck";
  export default Bottleneck;
}
